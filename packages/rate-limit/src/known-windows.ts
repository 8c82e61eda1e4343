/**
 * What this process has learned of one key's window. Its real end lies between the two
 * bounds, which differ by the latency of the operation that learned it.
 */
export interface KnownWindow {
  /** The window is open until at least this moment (ms, this process's clock). */
  readonly openUntil: number;
  /** The window has ended by this moment: what `resetIn` is counted to. */
  readonly endsBy: number;
  /** The highest count this process has seen in it. */
  hits: number;
}

/**
 * The windows whose end this process has learned, so that a later hit into the same window
 * needs no read. Bounded to `max` keys; the one learned longest ago goes first.
 */
export class KnownWindows {
  readonly #windows = new Map<string, KnownWindow>();
  readonly #max: number;

  /** Holds at most `max` windows. */
  constructor(max: number) {
    this.#max = max;
  }

  /**
   * The window of `key` if `hits`, counted by an increment that completed at `now`, surely
   * belongs to it: the window was still open then, and the count grew. In one window the count
   * only grows, so a count no higher than the last one seen means the window was reset,
   * refunded or replaced (here or elsewhere) and must be read again.
   */
  lookup(key: string, hits: number, now: number): KnownWindow | undefined {
    const known = this.#windows.get(key);
    if (known === undefined) return undefined;
    if (now >= known.openUntil || hits <= known.hits) {
      this.#windows.delete(key);
      return undefined;
    }
    known.hits = hits;
    return known;
  }

  /** Records that the window of `key` ends between `openUntil` and `endsBy` and holds `hits`. */
  learn(key: string, openUntil: number, endsBy: number, hits: number): void {
    this.#windows.delete(key);
    this.#windows.set(key, { openUntil, endsBy, hits });
    if (this.#windows.size > this.#max) {
      const oldest = this.#windows.keys().next();
      if (oldest.done !== true) this.#windows.delete(oldest.value);
    }
  }

  /** Drops what is known of `key`. */
  forget(key: string): void {
    this.#windows.delete(key);
  }
}
