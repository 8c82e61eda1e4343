import {
  type BaseStore,
  type GetOptions,
  type SetOptions,
  type Store,
  type StoreCapabilities,
  StoreError,
} from '@stores/core';
import { ReferenceStore } from './reference-store.js';

/** A store that breaks exactly one rule, and the case ids that must catch it. */
export interface BrokenStore {
  /** What is wrong with it. */
  readonly name: string;
  /** Case ids of which at least one must fail (every id listed must fail). */
  readonly caughtBy: readonly string[];
  /** Makes a fresh root store. */
  readonly create: () => Store;
}

const DAY_MS = 86_400_000;

class ExistsIgnoresExpiry extends ReferenceStore {
  protected override async doExists(key: string): Promise<boolean> {
    return this.entries.has(this.id(key));
  }
}

class ExpiresInReportsExpired extends ReferenceStore {
  // The model's defect: an expired but unswept entry reports 0 or a negative remaining time.
  protected override async doExpiresIn(key: string): Promise<number | null> {
    const entry = this.entries.get(this.id(key));
    return entry === undefined ? null : entry.expiresAt - Date.now();
  }
}

class DeleteAllReachesSiblings extends ReferenceStore {
  // The model's `{ns}*` pattern: a plain string prefix, so `a` also matches `ab`.
  protected override owns(id: string): boolean {
    const parts = JSON.parse(id) as string[];
    return parts.slice(0, -1).join('/').startsWith(this.path.join('/'));
  }
}

class DeleteAllMissesChildren extends ReferenceStore {
  protected override owns(id: string): boolean {
    return super.owns(id) && (JSON.parse(id) as string[]).length === this.path.length + 1;
  }
}

class GetReturnsSharedArray extends ReferenceStore {
  protected override async doGet(key: string): Promise<Uint8Array | null> {
    return this.live(key, Date.now())?.value ?? null;
  }
}

class SetKeepsCallersArray extends ReferenceStore {
  override async set(key: string, value: Uint8Array | string, options?: SetOptions): Promise<void> {
    await super.set(key, value, options);
    const entry = this.entries.get(this.id(key));
    if (entry !== undefined && value instanceof Uint8Array) entry.value = value;
  }
}

class UnderscoreJoinedNamespaces extends ReferenceStore {
  protected override createNamespace(name: string): BaseStore {
    return this.at([[...this.path, name].join('_')]);
  }
}

class NormalisesKeys extends ReferenceStore {
  protected override id(key: string): string {
    return super.id(key.normalize('NFC'));
  }
}

class ExpiresInWholeSeconds extends ReferenceStore {
  override async expiresIn(key: string): Promise<number | null> {
    const remaining = await super.expiresIn(key);
    return remaining === null ? null : Math.floor(remaining);
  }
}

class ExpiresInMinusOne extends ReferenceStore {
  override async expiresIn(key: string): Promise<number | null> {
    const remaining = await super.expiresIn(key);
    return remaining === Number.POSITIVE_INFINITY ? -1 : remaining;
  }
}

class ZeroMeansForever extends ReferenceStore {
  override async set(key: string, value: Uint8Array | string, options?: SetOptions): Promise<void> {
    return super.set(key, value, options?.expiresIn === 0 ? {} : options);
  }
}

class SetKeepsOldExpiry extends ReferenceStore {
  protected override async doSet(key: string, value: Uint8Array, ttlMs?: number): Promise<void> {
    const old = this.entries.get(this.id(key));
    await super.doSet(key, value, ttlMs);
    const entry = this.entries.get(this.id(key));
    if (ttlMs === undefined && old !== undefined && entry !== undefined) {
      entry.expiresAt = old.expiresAt;
    }
  }
}

class RenewAddsExpiry extends ReferenceStore {
  protected override async doGet(key: string, renewMs?: number): Promise<Uint8Array | null> {
    const entry = this.live(key, Date.now());
    if (entry !== undefined && renewMs !== undefined) entry.expiresAt = Date.now() + renewMs;
    return super.doGet(key, undefined);
  }
}

class RenewDropsDays extends ReferenceStore {
  // The model's defect: timedelta.seconds drops the days, and an expiry of 0 deletes the key.
  protected override async doGet(key: string, renewMs?: number): Promise<Uint8Array | null> {
    const value = await super.doGet(key, renewMs);
    if (renewMs !== undefined && renewMs >= DAY_MS) this.entries.delete(this.id(key));
    return value;
  }
}

class RenewWholeSeconds extends ReferenceStore {
  // The model's defect: `TTL` rounds to whole seconds, and a key reading 0 is not renewed.
  protected override async doGet(key: string, renewMs?: number): Promise<Uint8Array | null> {
    const entry = this.live(key, Date.now());
    const wholeSeconds =
      entry === undefined ? 0 : Math.round((entry.expiresAt - Date.now()) / 1000);
    return super.doGet(key, wholeSeconds > 0 ? renewMs : undefined);
  }
}

class RenewCreatesMissing extends ReferenceStore {
  protected override async doGet(key: string, renewMs?: number): Promise<Uint8Array | null> {
    const value = await super.doGet(key, renewMs);
    if (value === null && renewMs !== undefined) {
      this.entries.set(this.id(key), { value: new Uint8Array(0), expiresAt: Date.now() + renewMs });
    }
    return value;
  }
}

class EmptyValueIsNull extends ReferenceStore {
  protected override async doGet(key: string, renewMs?: number): Promise<Uint8Array | null> {
    const value = await super.doGet(key, renewMs);
    return value?.length === 0 ? null : value;
  }
}

class TornWrites extends ReferenceStore {
  // Writes a large value into the existing buffer half by half, yielding in between, the way a
  // non-atomic file write (no temp + rename) interleaves with a concurrent writer.
  protected override async doSet(key: string, value: Uint8Array, ttlMs?: number): Promise<void> {
    const entry = this.entries.get(this.id(key));
    if (entry === undefined || entry.value.length !== value.length || value.length < 1024) {
      return super.doSet(key, value, ttlMs);
    }
    const half = value.length >> 1;
    entry.value.set(value.subarray(0, half));
    await new Promise((done) => setTimeout(done, 64 - ((value[0] ?? 0) % 64)));
    entry.value.set(value.subarray(half), half);
  }
}

class CloseNotIdempotent extends ReferenceStore {
  #closes = 0;
  override close(): Promise<void> {
    this.#closes++;
    if (this.#closes > 1) return Promise.reject(new Error('already closed'));
    return super.close();
  }
}

class ChildCloseClosesParent extends ReferenceStore {
  parent: ReferenceStore | undefined;
  protected override createNamespace(name: string): BaseStore {
    const child = new ChildCloseClosesParent(this.entries, [...this.path, name]);
    child.parent = this;
    return child;
  }
  override async close(): Promise<void> {
    await super.close();
    await this.parent?.close();
  }
}

class DeleteExpiredMiscounts extends ReferenceStore {
  // Removes the expired entries of child namespaces but counts only its own.
  override async deleteExpired(): Promise<number> {
    const own = [...this.entries].filter(
      ([id, entry]) =>
        (JSON.parse(id) as string[]).length === this.path.length + 1 &&
        this.owns(id) &&
        Date.now() >= entry.expiresAt,
    ).length;
    await super.deleteExpired();
    return own;
  }
}

const LOOSE_CAPABILITIES: StoreCapabilities = {
  persistent: false,
  shared: false,
  nativeExpiry: false,
  deleteExpired: true,
};

class CapabilitiesNotFrozen extends ReferenceStore {
  override readonly capabilities: StoreCapabilities = LOOSE_CAPABILITIES;
}

class DeleteReachesEveryNamespace extends ReferenceStore {
  protected override async doDelete(key: string): Promise<void> {
    for (const id of this.entries.keys()) {
      if ((JSON.parse(id) as string[]).at(-1) === key) this.entries.delete(id);
    }
  }
}

class NamespacedExistsIgnoresExpiry extends ReferenceStore {
  // Correct at the root, wrong in any namespace: only the namespace passes can catch it.
  protected override async doExists(key: string): Promise<boolean> {
    if (this.path.length === 0) return super.doExists(key);
    return this.entries.has(this.id(key));
  }
}

class RejectsWithPlainErrors extends ReferenceStore {
  // Right moment, wrong error: callers cannot tell a bad key from a backend failure.
  override async get(key: string, options?: GetOptions): Promise<Uint8Array | null> {
    try {
      return await super.get(key, options);
    } catch (error) {
      throw StoreError.is(error, 'STORE_INVALID_KEY') ? new TypeError(error.message) : error;
    }
  }
}

/** Each breaks one rule of the contract; the suite must catch every one. */
export const brokenStores: readonly BrokenStore[] = [
  {
    name: 'exists ignores expiry',
    caughtBy: ['expiry.uniform'],
    create: () => new ExistsIgnoresExpiry(),
  },
  {
    name: 'expiresIn reports expired entries as <= 0',
    caughtBy: ['expiry.uniform', 'expiry.boundary'],
    create: () => new ExpiresInReportsExpired(),
  },
  {
    name: 'deleteAll matches a string prefix (reaches siblings)',
    caughtBy: ['deleteAll.spares-siblings'],
    create: () => new DeleteAllReachesSiblings(),
  },
  {
    name: 'deleteAll misses child namespaces',
    caughtBy: ['deleteAll.reaches-descendants'],
    create: () => new DeleteAllMissesChildren(),
  },
  {
    name: 'get returns the stored array',
    caughtBy: ['value.get-returns-copy'],
    create: () => new GetReturnsSharedArray(),
  },
  {
    name: "set keeps the caller's array",
    caughtBy: ['value.set-copies-input'],
    create: () => new SetKeepsCallersArray(),
  },
  {
    name: 'namespaces joined with _',
    caughtBy: ['namespace.injective'],
    create: () => new UnderscoreJoinedNamespaces(),
  },
  {
    name: 'keys normalised to NFC',
    caughtBy: ['key.adversarial-distinct'],
    create: () => new NormalisesKeys(),
  },
  {
    name: 'expiresIn truncated to whole seconds',
    caughtBy: ['expiresIn.remaining', 'expiresIn.fractional'],
    create: () => new ExpiresInWholeSeconds(),
  },
  {
    name: 'expiresIn is -1 for no expiry',
    caughtBy: ['expiresIn.no-expiry'],
    create: () => new ExpiresInMinusOne(),
  },
  {
    name: 'expiresIn 0 means no expiry',
    caughtBy: ['set.invalid-expires-in'],
    create: () => new ZeroMeansForever(),
  },
  {
    name: 'set without expiresIn keeps the old expiry',
    caughtBy: ['set.clears-expiry'],
    create: () => new SetKeepsOldExpiry(),
  },
  {
    name: 'renew adds an expiry to keys without one',
    caughtBy: ['get.renew-keeps-no-expiry'],
    create: () => new RenewAddsExpiry(),
  },
  {
    name: 'renewFor of a day or more deletes the key',
    caughtBy: ['get.renew-one-day-or-more'],
    create: () => new RenewDropsDays(),
  },
  {
    name: 'renew skips keys with under 0.5 s left',
    caughtBy: ['get.renew-sub-second-remaining'],
    create: () => new RenewWholeSeconds(),
  },
  {
    name: 'renew of a missing key creates it',
    caughtBy: ['get.renew-missing'],
    create: () => new RenewCreatesMissing(),
  },
  {
    name: 'the empty value reads as null',
    caughtBy: ['value.empty'],
    create: () => new EmptyValueIsNull(),
  },
  {
    name: 'large writes are not atomic',
    caughtBy: ['concurrency.same-key'],
    create: () => new TornWrites(),
  },
  {
    name: 'a second close rejects',
    caughtBy: ['close.idempotent'],
    create: () => new CloseNotIdempotent(),
  },
  {
    name: "a child's close closes its parent",
    caughtBy: ['close.child-leaves-parent-open'],
    create: () => new ChildCloseClosesParent(),
  },
  {
    name: 'deleteExpired does not count child namespaces',
    caughtBy: ['deleteExpired.counts'],
    create: () => new DeleteExpiredMiscounts(),
  },
  {
    name: 'capabilities are not frozen',
    caughtBy: ['capabilities.frozen'],
    create: () => new CapabilitiesNotFrozen(),
  },
  {
    name: 'delete reaches every namespace',
    caughtBy: ['model.random-operations', 'namespace.isolated'],
    create: () => new DeleteReachesEveryNamespace(),
  },
  {
    name: 'get rejects a bad key with a plain TypeError',
    caughtBy: ['key.invalid'],
    create: () => new RejectsWithPlainErrors(),
  },
];

/** Fails only inside a namespace: proves the namespace passes run the table again. */
export const namespaceOnlyBroken: BrokenStore = {
  name: 'exists ignores expiry inside namespaces only',
  caughtBy: ['expiry.uniform'],
  create: () => new NamespacedExistsIgnoresExpiry(),
};

/** The reference store without `deleteExpired`, to prove capability skips. */
export class NoSweepStore extends ReferenceStore {
  override readonly capabilities: StoreCapabilities = Object.freeze({
    ...new ReferenceStore().capabilities,
    deleteExpired: false,
  });
}
