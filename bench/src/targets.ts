import { RAW_IN_LAYOUT, RAW_WITH_LINK_CHECK } from './file.js';
import type { Row } from './results.js';
import { formatBytes, formatMs, formatNumber } from './results.js';

/** One target of the performance issue, checked against the rows of a run. */
export interface TargetResult {
  /** The target, e.g. `MemoryStore get ≥ 1.0× unstorage (memory), 100 B`. */
  target: string;
  /** What was measured, with the numbers compared. */
  measured: string;
  /** `null`: not measured in this run (a suite skipped or a row failed), or nothing to compare. */
  reached: boolean | null;
}

const SIZES = [100, 10240] as const;
const KV = ['set', 'get', 'exists', 'delete'] as const;
// The issue's baseline for FileStore `exists` (it read and checksummed the whole file).
const FILE_EXISTS_BEFORE = 4000;

/** `a`'s ops/s over `b`'s, or `undefined` if either row is missing. */
function opsRatio(a: Row | undefined, b: Row | undefined): number | undefined {
  const mine = a?.timing?.opsPerSec;
  const theirs = b?.timing?.opsPerSec;
  return mine === undefined || theirs === undefined ? undefined : mine / theirs;
}

/** Evaluates every target of the performance issue; reported, never asserted. */
export function evaluateTargets(rows: readonly Row[]): TargetResult[] {
  const ok = rows.filter((r) => r.status === 'ok');
  const at = (suite: string, workload: string, size: number, inFlight: number) =>
    ok.filter(
      (r) =>
        r.suite === suite &&
        r.workload === workload &&
        r.valueBytes === size &&
        r.inFlight === inFlight,
    );
  const named = (subject: string) => (r: Row) => r.subject === subject;
  const results: TargetResult[] = [];
  const missing = (target: string): void => {
    results.push({ target, measured: 'not measured', reached: null });
  };
  /**
   * `ours` against `peer` on `value` (ops/s unless told), reached when the ratio ≥ `min`;
   * returns the result, or `undefined` if a row is missing.
   */
  const ratio = (
    target: string,
    ours: Row | undefined,
    peer: Row | undefined,
    min: number,
    value: (r: Row) => number = (r) => r.timing?.opsPerSec ?? Number.NaN,
    unit = 'ops/s',
  ): TargetResult | undefined => {
    if (ours === undefined || peer === undefined) {
      missing(target);
      return undefined;
    }
    const r = value(ours) / value(peer);
    const result = {
      target,
      measured: `${formatNumber(value(ours))} vs ${formatNumber(value(peer))} ${unit} (${peer.subject}) = ${r.toFixed(2)}×`,
      reached: r >= min,
    };
    results.push(result);
    return result;
  };
  /**
   * Appends to `result` what `floor` measured against `base` (ops/s), `say` wording it: the
   * bound a rule or the machine puts under a target, measured side by side in the same run.
   */
  const beside = (
    result: TargetResult | undefined,
    floor: Row | undefined,
    base: Row | undefined,
    say: (ratio: string) => string,
  ): void => {
    const kept = opsRatio(floor, base);
    if (result !== undefined && kept !== undefined) {
      result.measured += `; ${say(`${kept.toFixed(2)}×`)}`;
    }
  };
  /** Lower is better: `ours` within `max` times `peer`'s value. */
  const atMost = (
    target: string,
    ours: Row | undefined,
    peer: Row | undefined,
    max: number,
    value: (r: Row) => number | undefined,
    show: (n: number) => string,
    unit: string,
  ): void => {
    const mine = ours === undefined ? undefined : value(ours);
    const theirs = peer === undefined ? undefined : value(peer);
    if (mine === undefined || theirs === undefined) {
      missing(target);
      return;
    }
    const r = mine / theirs;
    results.push({
      target,
      measured: `${show(mine)} vs ${show(theirs)} ${unit} = ${r.toFixed(2)}×`,
      reached: r <= max,
    });
  };

  // MemoryStore: 100 B against unstorage, 10 KB against a Map that copies in and out.
  for (const workload of ['set', 'get']) {
    const small = at('memory', workload, 100, 1);
    ratio(
      `MemoryStore ${workload} ≥ 1.0× unstorage (memory), 100 B`,
      small.find(named('MemoryStore')),
      small.find(named('unstorage (memory)')),
      1,
    );
    const large = at('memory', workload, 10240, 1);
    ratio(
      `MemoryStore ${workload} ≥ 0.8× Map (async, copies), 10 KB`,
      large.find(named('MemoryStore')),
      large.find(named('Map (async, copies)')),
      0.8,
    );
  }

  for (const suite of ['redis', 'valkey']) {
    for (const size of SIZES) {
      const bytes = formatBytes(size);
      const rowsAt = (workload: string, inFlight: number) => {
        const all = at(suite, workload, size, inFlight);
        return {
          ours: all.find((r) => r.ours && !r.subject.endsWith('(cluster)')),
          cluster: all.find((r) => r.ours && r.subject.endsWith('(cluster)')),
          raw: all.find((r) => r.subject.endsWith('(raw)')),
          rawCluster: all.find((r) => r.subject.endsWith('(raw, cluster)')),
          rawCopies: all.find((r) => r.subject.endsWith('(raw, copies)')),
          keyv: all.find((r) => r.subject.startsWith('Keyv')),
        };
      };
      for (const workload of KV) {
        const r = rowsAt(workload, 64);
        const name = r.ours?.subject ?? suite;
        ratio(`${name} ${workload} ×64 ≥ 1.0× Keyv, ${bytes}`, r.ours, r.keyv, 1);
        const min = size === 10240 && (workload === 'set' || workload === 'get') ? 0.95 : 1;
        beside(
          ratio(
            `${name} ${workload} ×64 ≥ ${min.toFixed(2)}× raw client, ${bytes}`,
            r.ours,
            r.raw,
            min,
          ),
          workload === 'get' ? r.rawCopies : undefined,
          r.raw,
          (kept) => `the raw client copying each reply, as a store must: ${kept}`,
        );
        beside(
          ratio(
            `${name} ${workload} ×64 on a cluster ≥ 0.9× standalone, ${bytes}`,
            r.cluster,
            r.ours,
            0.9,
          ),
          r.rawCluster,
          r.raw,
          (kept) => `the raw client on the cluster: ${kept} its standalone`,
        );
      }
      const renew = rowsAt('get+renew', 64);
      ratio(
        `${renew.ours?.subject ?? suite} get+renew ×64 ≥ 0.8× a raw GET, ${bytes}`,
        renew.ours,
        rowsAt('get', 64).raw,
        0.8,
      );
      for (const workload of [...KV, 'get+renew']) {
        const r = rowsAt(workload, 1);
        atMost(
          `${r.ours?.subject ?? suite} ${workload} ×1 p50 ≤ 1.1× raw client, ${bytes}`,
          r.ours,
          r.raw,
          1.1,
          (row) => row.timing?.p50Ms,
          formatMs,
          'ms',
        );
      }
    }
  }

  // deleteAll: the 100k row of each server, standalone and on a cluster (the suite's own size
  // in a quick run, whose numbers mean nothing).
  const wipes = ok.filter((r) => r.suite === 'deleteAll' && r.ours);
  for (const suite of ['redis', 'valkey']) {
    for (const cluster of [false, true]) {
      const candidates = wipes.filter(
        (r) => r.workload.startsWith(suite) && r.subject.endsWith('(cluster)') === cluster,
      );
      const row =
        candidates.find((r) => r.metrics?.entries === 100_000) ??
        candidates.find((r) => r.metrics?.entries === undefined) ??
        candidates[0];
      const label = `${suite}${cluster ? ' cluster' : ''}`;
      const target = `deleteAll of 100k among 100k ≤ 300 ms, longest stall ≤ 5 ms (${label})`;
      const duration = row?.metrics?.durationMs;
      const stall = row?.metrics?.stallMs;
      if (row === undefined || duration === undefined || stall === undefined) {
        missing(target);
        continue;
      }
      results.push({
        target,
        measured: `${row.subject}, ${row.workload.replace(/^[^:]+: /, '')}: ${formatMs(duration)} ms, stall ${formatMs(stall)} ms${ofWipes(row.metrics)}${longestCommand(row.metrics?.serverMaxMs)}`,
        reached: duration <= 300 && stall <= 5,
      });
    }
  }

  // Against the raw calls in one flat directory (the issue's baseline), and the same calls in
  // FileStore's own layout (what the kernel charges for 256 shard directories of long names).
  for (const [raw, layout] of [
    ['fs writeFile+rename', ''],
    [RAW_IN_LAYOUT, ' in FileStore layout'],
  ] as const) {
    for (const size of SIZES) {
      for (const inFlight of [1, 64]) {
        const where = `${formatBytes(size)} ×${inFlight}`;
        for (const [workload, peer] of [
          ['get', 'readFile'],
          ['set', 'writeFile+rename'],
        ] as const) {
          const rowsAt = at('file', workload, size, inFlight);
          beside(
            ratio(
              `FileStore ${workload} ≥ 0.9× raw ${peer}${layout}, ${where}`,
              rowsAt.find(named('FileStore')),
              rowsAt.find(named(raw)),
              0.9,
            ),
            rowsAt.find(named(RAW_WITH_LINK_CHECK)),
            rowsAt.find(named(raw)),
            (kept) =>
              `the raw calls in FileStore's layout after its link check (a realpath): ${kept}`,
          );
        }
        const overwrite = at('file', 'overwrite', size, inFlight);
        atMost(
          `FileStore overwrite CPU per op ≤ 1.3× raw writeFile+rename${layout}, ${where}`,
          overwrite.find(named('FileStore')),
          overwrite.find(named(raw)),
          1.3,
          (row) => row.timing?.cpuUsPerOp,
          (n) => formatNumber(n),
          'µs',
        );
      }
    }
  }
  // The default, and the opt-in that makes the calls on the calling thread.
  for (const subject of ['FileStore', 'FileStore (syncReads)']) {
    const exists = at('file', 'exists', 100, 1).find(named(subject));
    const target = `${subject} exists ≥ 3× the issue's ${formatNumber(FILE_EXISTS_BEFORE)} ops/s, 100 B ×1`;
    if (exists?.timing === undefined) missing(target);
    else {
      const r = exists.timing.opsPerSec / FILE_EXISTS_BEFORE;
      results.push({
        target,
        measured: `${formatNumber(exists.timing.opsPerSec)} ops/s = ${r.toFixed(2)}×`,
        reached: r >= 3,
      });
    }
  }
  return results;
}

/**
 * ` (medians of 3 wipes; longest stall 6.20 ms)` for a row of several wipes (`wipes`,
 * `stallLongestMs`), or nothing for one wipe.
 */
function ofWipes(metrics: Record<string, number> | undefined): string {
  const wipes = metrics?.wipes;
  if (wipes === undefined || wipes < 2) return '';
  return ` (medians of ${wipes} wipes; longest stall ${formatMs(metrics?.stallLongestMs ?? Number.NaN)} ms)`;
}

/** `; longest command 0.61 ms` from a wipe's `serverMaxMs`, or nothing where it is unknown. */
function longestCommand(ms: number | undefined): string {
  return ms === undefined || Number.isNaN(ms) ? '' : `; longest command ${formatMs(ms)} ms`;
}
