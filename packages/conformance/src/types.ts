import type { Store, StoreCapabilities } from '@stores/core';

/** Returns a fresh, isolated store (its own namespace, directory or instance) on every call. */
export type StoreFactory = () => Store | Promise<Store>;

/** Tunes the suite's timing for slower backends; never its semantics. */
export interface ConformanceOptions {
  /** Multiplies every TTL and wait of the suite (e.g. `3` for a slow remote server). Default `1`. */
  ttlScale?: number;
  /** The time limit of one case, in ms, including creating and closing its store. Default `15000`. */
  timeoutMs?: number;
  /** How many cases run at once. Default `4`. */
  concurrency?: number;
}

/** The scope a case's store lives in: the factory's store, a namespace, or a nested one. */
export type PassName = 'root' | 'namespace' | 'nested namespace';

/** What a case gets: the store under test and timing helpers scaled by `ttlScale`. */
export interface CaseContext {
  /** The store under test: the factory's store, or a (nested) namespace of it. */
  readonly store: Store;
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
