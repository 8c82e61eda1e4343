import type { Store } from '@stores/core';
import express5 from 'express';
import type { Store as ExpressSessionStore, SessionOptions } from 'express-session';
import express4 from 'express4';
import { onTestFinished } from 'vitest';
import { listen, type SessionReply, sessionApp } from './fixtures/app.mjs';

declare module 'express-session' {
  interface SessionData {
    views?: number;
  }
}

/** An Express constructor of either major. */
export type ExpressFactory = typeof express5;

/** Both Express majors the package supports, to run each HTTP test on. */
export const EXPRESS_VERSIONS: readonly (readonly [string, ExpressFactory])[] = [
  ['express 5', express5],
  ['express 4', express4],
];

/** Serves the test app over `sessionStore` on a free port until the test ends; resolves its URL. */
export async function serve(
  express: ExpressFactory,
  sessionStore: ExpressSessionStore,
  options?: Partial<SessionOptions>,
): Promise<string> {
  const server = await listen(sessionApp(express, sessionStore, options));
  onTestFinished(() => server.close());
  return server.url;
}

/** One response, parsed. */
export interface Reply {
  readonly status: number;
  readonly body: SessionReply & { readonly code?: string };
  /** True if the response set the session cookie. */
  readonly setCookie: boolean;
}

/** A client that keeps the session cookie across requests, to any of the test apps. */
export class Browser {
  #cookie: string | undefined;

  /** GETs `url`, sending the cookie it holds and keeping the one the response sets. */
  async get(url: string): Promise<Reply> {
    const response = await fetch(url, {
      headers: this.#cookie === undefined ? {} : { cookie: this.#cookie },
    });
    const setCookie = response.headers.getSetCookie()[0];
    if (setCookie !== undefined) this.#cookie = setCookie.split(';', 1)[0];
    const body = (await response.json()) as Reply['body'];
    return { status: response.status, body, setCookie: setCookie !== undefined };
  }
}

/** Bounds of the absolute time (ms since the epoch) at which an entry expires. */
export interface ExpiryBounds {
  readonly lower: number;
  readonly upper: number;
}

/** Bounds of the absolute time (ms since the epoch) at which `key` expires in `store`. */
export async function expiryOf(store: Store, key: string): Promise<ExpiryBounds> {
  const before = Date.now();
  const seconds = await store.expiresIn(key);
  const after = Date.now();
  if (seconds === null || seconds === Number.POSITIVE_INFINITY) {
    throw new Error(`expected ${key} to hold an expiring entry, got expiresIn ${seconds}`);
  }
  return { lower: before + seconds * 1000, upper: after + seconds * 1000 };
}

/** The stored bytes of `key`, which must exist. */
export async function rawBytes(store: Store, key: string): Promise<Uint8Array> {
  const bytes = await store.get(key);
  if (bytes === null) throw new Error(`expected ${key} to be stored`);
  return bytes;
}

/** Stored session bytes as the JSON they were written as. */
function jsonOf(bytes: Uint8Array): Record<string, unknown> {
  return JSON.parse(new TextDecoder().decode(bytes));
}

/** The stored session of `key` as the JSON it was written as. */
export async function storedJson(store: Store, key: string): Promise<Record<string, unknown>> {
  return jsonOf(await rawBytes(store, key));
}

/** The `cookie.expires` (ms since the epoch) a stored session's bytes hold. */
export function cookieExpiry(bytes: Uint8Array): number {
  return Date.parse((jsonOf(bytes).cookie as { expires: string }).expires);
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
