import type { Store, StoreCapabilities } from '@stores/core';

/** Returns a fresh, isolated store (its own namespace, directory or instance) on every call. */
export type StoreFactory = () => Store | Promise<Store>;

/**
 * How a child process opens the store under test, for the `shared.*` cases of stores with
 * `capabilities.shared`: the suite cannot know how to reach "the same store" from another
 * process, so the backend names a module that can, and hands out plain-data handles.
 */
export interface SharedStoreOptions {
  /**
   * Absolute path or `file:` URL of an ES module that plain `node` can import (JavaScript, not
   * TypeScript), exporting `exportName`.
   */
  module: string;
  /**
   * The module's export that opens a store from a handle: `(handle) => Store | Promise<Store>`.
   * The caller closes what it opens. Default `'openStore'`.
   */
  exportName?: string;
  /** A JSON-serialisable handle of a NEW, empty, isolated store (a new directory or namespace). */
  newHandle(): unknown;
}

/**
 * Tunes the suite's timing for slower backends, never its semantics; `shared` tells the
 * multi-process cases how to open the store in a child process.
 */
export interface ConformanceOptions {
  /** Multiplies every TTL and wait of the suite (e.g. `3` for a slow remote server). Default `1`. */
  ttlScale?: number;
  /** The time limit of one case, in ms, including creating and closing its store. Default `15000`. */
  timeoutMs?: number;
  /** How many cases run at once. Default `4`. */
  concurrency?: number;
  /**
   * Required for stores with `capabilities.shared`: without it their `shared.*` cases fail,
   * since a shared store must prove its atomicity across processes.
   */
  shared?: SharedStoreOptions;
  /** The seed of the model-based case, to replay a failure it reported. Default: random. */
  seed?: number;
}

/** The scope a case's store lives in: the factory's store, a namespace, or a nested one. */
export type PassName = 'root' | 'namespace' | 'nested namespace';

/** What a case gets: the store under test, where it lives, and timing helpers scaled by `ttlScale`. */
export interface CaseContext {
  /** The store under test: the factory's store, or a (nested) namespace of it. */
  readonly store: Store;
  /** The namespace names from the factory's store down to `store` (empty in the root pass). */
  readonly namespacePath: readonly string[];
  /** The `shared` option the suite was given, if any. */
  readonly shared: SharedStoreOptions | undefined;
  /** Aborted when the case times out: a case that starts processes or timers stops them. */
  readonly signal: AbortSignal;
  /** The `seed` option, for randomised cases (undefined: random). */
  readonly seed: number | undefined;
  /** `seconds` multiplied by `ttlScale`: a TTL the backend can honour in time. */
  ttl(seconds: number): number;
  /** Waits until `seconds` (already scaled) have surely passed, plus a scaled safety margin. */
  waitPast(seconds: number): Promise<void>;
}

/** One rule of the contract as a plain async function; it throws when the store breaks it. */
export interface ConformanceCase {
  /** Stable id such as `get.renew-keeps-no-expiry`. */
  readonly id: string;
  /** What the store must do, as a sentence. */
  readonly title: string;
  /** The case runs only when this capability is `true`; otherwise it is reported as skipped. */
  readonly requires?: keyof StoreCapabilities;
  /** Runs the case against `ctx.store`; rejects on a violation. */
  readonly run: (ctx: CaseContext) => Promise<void>;
}

/** The outcome of one case in one pass. */
export interface CaseResult {
  /** Which pass (root, namespace, nested namespace). */
  readonly pass: PassName;
  /** The case id. */
  readonly id: string;
  /** The case title. */
  readonly title: string;
  /** `skipped` only when the store's capabilities exclude the case. */
  readonly status: 'passed' | 'failed' | 'skipped';
  /** Why it failed (`failed`) or was skipped (`skipped`, a string). */
  readonly error?: unknown;
  /** Wall time of the case, including creating and closing its store. */
  readonly durationMs: number;
}
