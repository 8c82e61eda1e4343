import type { Row } from './results.js';
import { formatBytes, formatMs, formatNumber } from './results.js';

/** One target of the issue, checked against the rows of a run. */
export interface TargetResult {
  /** The target, e.g. `MemoryStore get ≥ 0.8× Map (async), 100 B`. */
  target: string;
  /** What was measured, with the numbers compared. */
  measured: string;
  /** `null`: not measured in this run (a suite skipped or a row failed), or nothing to compare. */
  reached: boolean | null;
}

type Workload = 'set' | 'get' | 'get+renew' | 'exists' | 'delete';
const SERVER_WORKLOADS: readonly Workload[] = ['set', 'get', 'get+renew', 'exists', 'delete'];
const SIZES = [100, 10240] as const;

/** Evaluates every target of the issue; reported, never asserted. */
export function evaluateTargets(rows: readonly Row[]): TargetResult[] {
  const ok = rows.filter((r) => r.status === 'ok');
  const find = (suite: string, workload: string, size: number, inFlight: number) =>
    ok.filter(
      (r) =>
        r.suite === suite &&
        r.workload === workload &&
        r.valueBytes === size &&
        r.inFlight === inFlight,
    );
  const ops = (r: Row | undefined): number => r?.timing?.opsPerSec ?? Number.NaN;
  const results: TargetResult[] = [];
  const ratio = (
    target: string,
    ours: Row | undefined,
    peer: Row | undefined,
    min: number,
    what = 'ops/s',
  ): void => {
    if (ours === undefined || peer === undefined) {
      // A measured store with nothing to compare: no peer has the operation (get+renew).
      const measured = ours === undefined ? 'not measured' : 'n/a: no peer has this operation';
      results.push({ target, measured, reached: null });
      return;
    }
    const r = ops(ours) / ops(peer);
    results.push({
      target,
      measured: `${formatNumber(ops(ours))} vs ${formatNumber(ops(peer))} ${what} (${peer.subject}) = ${r.toFixed(2)}×`,
      reached: r >= min,
    });
  };

  for (const workload of ['get', 'set']) {
    const rowsAt = find('memory', workload, 100, 1);
    const ours = rowsAt.find((r) => r.subject === 'MemoryStore');
    ratio(
      `MemoryStore ${workload} ≥ 0.8× async Map, 100 B`,
      ours,
      rowsAt.find((r) => r.subject === 'Map (async)'),
      0.8,
    );
    ratio(
      `MemoryStore ${workload} ≥ 2× unstorage memory, 100 B`,
      ours,
      rowsAt.find((r) => r.subject === 'unstorage (memory)'),
      2,
    );
  }

  for (const suite of ['redis', 'valkey']) {
    for (const size of SIZES) {
      for (const workload of SERVER_WORKLOADS) {
        const at64 = find(suite, workload, size, 64);
        const ours = at64.find((r) => r.ours);
        const name = ours?.subject ?? suite;
        const peers = at64.filter((r) => !r.ours && !r.subject.endsWith('(raw)'));
        const best = peers.sort((a, b) => ops(b) - ops(a))[0];
        ratio(`${name} ${workload} ×64 ≥ every peer, ${formatBytes(size)}`, ours, best, 1);
        if (size === 10240) {
          const raw = at64.find((r) => r.subject.endsWith('(raw)'));
          ratio(`${name} ${workload} ×64 ≥ 0.95× raw client, 10 KB`, ours, raw, 0.95);
        }
        const at1 = find(suite, workload, size, 1);
        const ours1 = at1.find((r) => r.ours);
        const raw1 = at1.find((r) => r.subject.endsWith('(raw)'));
        const target = `${name} ${workload} ×1 p50 ≤ 1.1× raw client, ${formatBytes(size)}`;
        if (ours1?.timing === undefined || raw1?.timing === undefined) {
          results.push({ target, measured: 'not measured', reached: null });
        } else {
          const r = ours1.timing.p50Ms / raw1.timing.p50Ms;
          results.push({
            target,
            measured: `${formatMs(ours1.timing.p50Ms)} vs ${formatMs(raw1.timing.p50Ms)} ms = ${r.toFixed(2)}×`,
            reached: r <= 1.1,
          });
        }
      }
    }
  }

  for (const suite of ['redis', 'valkey']) {
    const row = ok.find(
      (r) => r.suite === 'deleteAll' && r.ours && r.workload.startsWith(`${suite}:`),
    );
    const target = `${row?.subject ?? suite} deleteAll of 100k ≤ 300 ms, longest stall ≤ 5 ms`;
    const duration = row?.metrics?.durationMs;
    const stall = row?.metrics?.stallMs;
    if (row === undefined || duration === undefined || stall === undefined) {
      results.push({ target, measured: 'not measured', reached: null });
    } else {
      results.push({
        target,
        measured: `${row.workload.replace(/^\w+: /, '')}: ${formatMs(duration)} ms, stall ${formatMs(stall)} ms`,
        reached: duration <= 300 && stall <= 5,
      });
    }
  }

  for (const workload of ['set', 'get']) {
    for (const size of SIZES) {
      for (const inFlight of [1, 64]) {
        const rowsAt = find('file', workload, size, inFlight);
        ratio(
          `FileStore ${workload} ≥ 0.9× raw fs, ${formatBytes(size)} ×${inFlight}`,
          rowsAt.find((r) => r.subject === 'FileStore'),
          rowsAt.find((r) => r.subject === 'fs writeFile+rename'),
          0.9,
        );
      }
    }
  }
  return results;
}
