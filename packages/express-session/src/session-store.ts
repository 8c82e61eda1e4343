import {
  describe,
  durationToMs,
  type Store as KeyValueStore,
  readOptions,
  StoreError,
  type StoreRegistry,
} from '@stores/core';
import { type SessionData, Store } from 'express-session';
import { reply, type SessionCallback } from './callback.js';

/** Turns sessions into the text stored and back; `JSON` is one. */
export interface SessionSerializer {
  /** The text stored for `session`. */
  stringify(session: SessionData): string;
  /** The session `text` holds (or a promise of it). */
  parse(text: string): SessionData | Promise<SessionData>;
}

/** Options of `SessionStore`: exactly one of `store` and `registry`. */
export interface SessionStoreOptions {
  /** The store the sessions live in, used as is: `clear()` empties it. Not with `registry`. */
  store?: KeyValueStore;
  /** A registry to resolve the store from by `name`. Not with `store`. */
  registry?: Pick<StoreRegistry, 'get'>;
  /** The registry name of the store. Default `'sessions'`; only with `registry`. */
  name?: string;
  /**
   * Seconds a session lives when its cookie has no expiry (default 86400); a function of the
   * session overrides the cookie's expiry too. A result of 0 or less destroys the session.
   */
  ttl?: number | ((session: SessionData) => number);
  /** Turns sessions into text and back. Default `JSON`. */
  serializer?: SessionSerializer;
  /** Make `touch()` a no-op: sessions then expire a TTL after their last write. Default `false`. */
  disableTouch?: boolean;
}

/** A session as `all()` yields it: its data and its id. */
export type StoredSession = SessionData & { id: string };

const OPTIONS = ['store', 'registry', 'name', 'ttl', 'serializer', 'disableTouch'] as const;
const STORE_METHODS = ['get', 'set', 'delete', 'touch', 'keys', 'deleteAll'] as const;
const DEFAULT_TTL = 86_400;
const DEFAULT_NAME = 'sessions';
const decoder = new TextDecoder();

/**
 * An express-session store on any @stores `Store`: each session is one entry keyed by its id,
 * expiring when its cookie does; `touch` moves the expiry without reading or rewriting the
 * session. Every method calls back with the `StoreError` of a failure, or without a callback
 * returns a promise. It never closes the store it was handed.
 */
export class SessionStore extends Store {
  readonly #store: KeyValueStore;
  readonly #ttl: number | ((session: SessionData) => number);
  readonly #serializer: SessionSerializer;
  readonly #disableTouch: boolean;

  /** Checks `options` (an unknown or conflicting one is `STORE_INVALID_ARGUMENT`) and resolves the store. */
  constructor(options: SessionStoreOptions) {
    super();
    const {
      store,
      registry,
      name,
      ttl = DEFAULT_TTL,
      serializer = JSON,
      disableTouch = false,
    } = readOptions<SessionStoreOptions>(options, 'new SessionStore()', OPTIONS);
    this.#store = resolveStore(store, registry, name);
    if (typeof ttl !== 'function') durationToMs(ttl, 'ttl');
    if (typeof serializer?.stringify !== 'function' || typeof serializer.parse !== 'function') {
      invalid(`serializer must have stringify() and parse(), got ${describe(serializer)}`);
    }
    if (typeof disableTouch !== 'boolean') {
      invalid(`disableTouch must be a boolean, got ${describe(disableTouch)}`);
    }
    this.#ttl = ttl;
    this.#serializer = serializer;
    this.#disableTouch = disableTouch;
  }

  /** Calls back with the session stored under `sid`, or `null` if there is none (or it expired). */
  override get(sid: string): Promise<SessionData | null>;
  override get(sid: string, callback: SessionCallback<SessionData | null>): void;
  override get(
    sid: string,
    callback?: SessionCallback<SessionData | null>,
  ): Promise<SessionData | null> | undefined {
    return reply(this.#get(sid), callback);
  }

  /** Stores `session` under `sid` until its TTL; a TTL already past destroys it instead. */
  override set(sid: string, session: SessionData): Promise<void>;
  override set(sid: string, session: SessionData, callback: SessionCallback<void>): void;
  override set(
    sid: string,
    session: SessionData,
    callback?: SessionCallback<void>,
  ): Promise<void> | undefined {
    return reply(this.#set(sid, session), callback);
  }

  /** Resets the expiry of `sid` to the session's TTL with `Store.touch`: no read, no rewrite. */
  override touch(sid: string, session: SessionData): Promise<void>;
  override touch(sid: string, session: SessionData, callback: SessionCallback<void>): void;
  override touch(
    sid: string,
    session: SessionData,
    callback?: SessionCallback<void>,
  ): Promise<void> | undefined {
    return reply(this.#touch(sid, session), callback);
  }

  /** Removes the session stored under `sid` (a missing one is no error). */
  override destroy(sid: string): Promise<void>;
  override destroy(sid: string, callback: SessionCallback<void>): void;
  override destroy(sid: string, callback?: SessionCallback<void>): Promise<void> | undefined {
    return reply(this.#destroy(sid), callback);
  }

  /** Calls back with every live session of this store, each with its `id`. */
  override all(): Promise<StoredSession[]>;
  override all(callback: SessionCallback<StoredSession[]>): void;
  override all(callback?: SessionCallback<StoredSession[]>): Promise<StoredSession[]> | undefined {
    return reply(this.#all(), callback);
  }

  /** Calls back with the ids of every live session of this store. */
  ids(): Promise<string[]>;
  ids(callback: SessionCallback<string[]>): void;
  ids(callback?: SessionCallback<string[]>): Promise<string[]> | undefined {
    return reply(this.#ids(), callback);
  }

  /** Calls back with how many live sessions this store holds. */
  override length(): Promise<number>;
  override length(callback: SessionCallback<number>): void;
  override length(callback?: SessionCallback<number>): Promise<number> | undefined {
    return reply(this.#length(), callback);
  }

  /** Removes every session: `deleteAll()` of this store's namespace, nothing outside it. */
  override clear(): Promise<void>;
  override clear(callback: SessionCallback<void>): void;
  override clear(callback?: SessionCallback<void>): Promise<void> | undefined {
    return reply(this.#store.deleteAll(), callback);
  }

  async #get(sid: string): Promise<SessionData | null> {
    const bytes = await this.#store.get(sid);
    if (bytes === null) return null;
    try {
      return await this.#serializer.parse(decoder.decode(bytes));
    } catch (error) {
      throw new StoreError(
        'STORE_INVALID_VALUE',
        `a stored session could not be parsed (${message(error)}); destroy it, or pass the serializer that wrote it`,
        { cause: error },
      );
    }
  }

  async #set(sid: string, session: SessionData): Promise<void> {
    const expiresIn = this.#expiresIn(session);
    if (expiresIn <= 0) {
      await this.#store.delete(sid);
      return;
    }
    let text: string;
    try {
      text = this.#serializer.stringify(session);
    } catch (error) {
      throw new StoreError(
        'STORE_INVALID_VALUE',
        `the session could not be serialized (${message(error)}); keep only serializable data in it`,
        { cause: error },
      );
    }
    await this.#store.set(sid, text, { expiresIn });
  }

  async #touch(sid: string, session: SessionData): Promise<void> {
    if (this.#disableTouch) return;
    const expiresIn = this.#expiresIn(session);
    if (expiresIn <= 0) await this.#store.delete(sid);
    else await this.#store.touch(sid, { expiresIn });
  }

  async #destroy(sid: string): Promise<void> {
    await this.#store.delete(sid);
  }

  async #all(): Promise<StoredSession[]> {
    const ids = await this.#ids();
    const sessions = await Promise.all(
      ids.map(async (id) => {
        const session = await this.#get(id);
        return session === null ? null : Object.assign(session, { id });
      }),
    );
    // A session that expired or was destroyed after it was listed is left out.
    return sessions.filter((session) => session !== null);
  }

  async #ids(): Promise<string[]> {
    const ids: string[] = [];
    for await (const id of this.#store.keys()) ids.push(id);
    return ids;
  }

  async #length(): Promise<number> {
    let count = 0;
    for await (const _ of this.#store.keys()) count++;
    return count;
  }

  /** Seconds until `session` expires: `ttl()` if a function, else the cookie's expiry, else `ttl`. */
  #expiresIn(session: SessionData): number {
    let seconds: number;
    if (typeof this.#ttl === 'function') {
      try {
        seconds = this.#ttl(session);
      } catch (error) {
        throw new StoreError('STORE_INVALID_ARGUMENT', `ttl() threw: ${message(error)}`, {
          cause: error,
        });
      }
    } else {
      const expires = session.cookie?.expires;
      seconds = expires == null ? this.#ttl : (new Date(expires).getTime() - Date.now()) / 1000;
    }
    if (typeof seconds !== 'number' || !Number.isFinite(seconds)) {
      invalid(
        `the session's TTL must be a finite number of seconds, got ${describe(seconds)}; check the ttl option and cookie.expires`,
      );
    }
    return seconds;
  }
}

function resolveStore(
  store: KeyValueStore | undefined,
  registry: Pick<StoreRegistry, 'get'> | undefined,
  name: string | undefined,
): KeyValueStore {
  if (store !== undefined && registry !== undefined) {
    invalid('new SessionStore() takes { store } or { registry, name? }, not both');
  }
  if (registry !== undefined) {
    if (typeof registry?.get !== 'function') {
      invalid(`registry must be a StoreRegistry, got ${describe(registry)}`);
    }
    const resolved = name ?? DEFAULT_NAME;
    return assertStore(registry.get(resolved), `registry.get('${resolved}')`);
  }
  if (name !== undefined) {
    invalid('name picks a store from a registry: pass { registry, name }, or { store } alone');
  }
  if (store === undefined) {
    invalid(
      `new SessionStore() needs { store } (a @stores Store) or { registry } (resolved by name, default '${DEFAULT_NAME}')`,
    );
  }
  return assertStore(store, 'store');
}

function assertStore(store: unknown, what: string): KeyValueStore {
  const candidate = store as Record<string, unknown> | null;
  if (
    typeof candidate !== 'object' ||
    candidate === null ||
    STORE_METHODS.some((method) => typeof candidate[method] !== 'function')
  ) {
    invalid(`${what} must be a @stores Store, got ${describe(store)}`);
  }
  return store as KeyValueStore;
}

function invalid(text: string): never {
  throw new StoreError('STORE_INVALID_ARGUMENT', text);
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
