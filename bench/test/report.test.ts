import { describe, expect, it } from 'vitest';
import { RAW_IN_LAYOUT, RAW_WITH_LINK_CHECK } from '../src/file.js';
import { rawVariant } from '../src/redis.js';
import { chart } from '../src/report.js';
import { Recorder } from '../src/results.js';
import { evaluateTargets } from '../src/targets.js';

/** A recorder holding timed 100 B rows at 64 in flight: `[subject, ops/s]` of `suite`'s `workload`. */
function rowsOf(
  suite: string,
  workload: string,
  subjects: readonly (readonly [string, number])[],
): Recorder {
  const recorder = new Recorder(() => {});
  for (const [subject, opsPerSec] of subjects) {
    recorder.add({
      suite,
      subject,
      ours: subject.startsWith('RedisStore') || subject === 'FileStore',
      versions: {},
      workload,
      valueBytes: 100,
      inFlight: 64,
      status: 'ok',
      timing: { ops: 1, elapsedMs: 1, opsPerSec, p50Ms: 0.1, p99Ms: 0.2, cpuUsPerOp: 1 },
    });
  }
  return recorder;
}

/** The result of the target named `target` over `recorder`'s rows. */
function targetOf(recorder: Recorder, target: string) {
  return evaluateTargets(recorder.rows).find((t) => t.target === target);
}

const CLUSTER_TARGET = 'RedisStore set ×64 on a cluster ≥ 0.9× standalone, 100 B';

describe('targets with the floor measured beside them', () => {
  it('name the raw client variants after the raw client', () => {
    expect(rawVariant('ioredis (raw)', 'cluster')).toBe('ioredis (raw, cluster)');
    expect(rawVariant('iovalkey (raw)', 'copies')).toBe('iovalkey (raw, copies)');
  });

  it("state the raw client's own cluster-to-standalone ratio beside ours", () => {
    const recorder = rowsOf('redis', 'set', [
      ['RedisStore', 100_000],
      ['RedisStore (cluster)', 80_000],
      ['ioredis (raw)', 90_000],
      [rawVariant('ioredis (raw)', 'cluster'), 54_000],
    ]);
    expect(targetOf(recorder, CLUSTER_TARGET)).toEqual({
      target: CLUSTER_TARGET,
      measured:
        '80,000 vs 100,000 ops/s (RedisStore) = 0.80×; the raw client on the cluster: 0.60× its standalone',
      reached: false,
    });
  });

  it('judge ours alone when no floor was measured', () => {
    const recorder = rowsOf('redis', 'set', [
      ['RedisStore', 100_000],
      ['RedisStore (cluster)', 95_000],
      ['ioredis (raw)', 90_000],
    ]);
    const target = targetOf(recorder, CLUSTER_TARGET);
    expect(target?.measured).toBe('95,000 vs 100,000 ops/s (RedisStore) = 0.95×');
    expect(target?.reached).toBe(true);
  });

  it('state the raw client copying each reply beside a get, not beside a set', () => {
    const subjects = [
      ['RedisStore', 72_000],
      ['ioredis (raw)', 90_000],
      [rawVariant('ioredis (raw)', 'copies'), 67_500],
    ] as const;
    const get = targetOf(
      rowsOf('redis', 'get', subjects),
      'RedisStore get ×64 ≥ 1.00× raw client, 100 B',
    );
    expect(get?.measured).toBe(
      '72,000 vs 90,000 ops/s (ioredis (raw)) = 0.80×; the raw client copying each reply, as a store must: 0.75×',
    );
    const set = targetOf(
      rowsOf('redis', 'set', subjects),
      'RedisStore set ×64 ≥ 1.00× raw client, 100 B',
    );
    expect(set?.measured).toBe('72,000 vs 90,000 ops/s (ioredis (raw)) = 0.80×');
  });

  it("state the raw file calls after FileStore's link check beside FileStore", () => {
    const recorder = rowsOf('file', 'set', [
      ['FileStore', 8_000],
      ['fs writeFile+rename', 16_000],
      [RAW_IN_LAYOUT, 10_000],
      [RAW_WITH_LINK_CHECK, 8_500],
    ]);
    expect(
      targetOf(recorder, 'FileStore set ≥ 0.9× raw writeFile+rename in FileStore layout, 100 B ×64')
        ?.measured,
    ).toBe(
      "8,000 vs 10,000 ops/s (fs writeFile+rename (FileStore layout)) = 0.80×; the raw calls in FileStore's layout after its link check (a realpath): 0.85×",
    );
    expect(
      targetOf(recorder, 'FileStore set ≥ 0.9× raw writeFile+rename, 100 B ×64')?.measured,
    ).toBe(
      "8,000 vs 16,000 ops/s (fs writeFile+rename) = 0.50×; the raw calls in FileStore's layout after its link check (a realpath): 0.53×",
    );
  });
});

describe('the ops/s chart', () => {
  it('starts the bars after the longest subject name', () => {
    const short = rowsOf('file', 'set', [['FileStore', 8_000]]);
    const long = rowsOf('file', 'set', [
      ['FileStore', 8_000],
      [RAW_WITH_LINK_CHECK, 8_500],
    ]);
    const barsAt = (svg: string) =>
      new Set([...svg.matchAll(/<rect x="(\d+)" y=/g)].map((m) => Number(m[1])));
    expect(barsAt(chart(short.rows))).toEqual(new Set([260]));
    // 50 characters at about 6.5 px each, after a 20 px indent.
    const [x = 0] = barsAt(chart(long.rows));
    expect(x).toBeGreaterThanOrEqual(20 + 6.5 * RAW_WITH_LINK_CHECK.length);
  });
});
