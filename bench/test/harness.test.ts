import { describe, expect, it } from 'vitest';
import { percentile, timeLoop } from '../src/harness.js';
import {
  type KvOps,
  type KvSubject,
  lengthOf,
  runKvSuite,
  type Stretch,
  stretchOrder,
} from '../src/kv.js';
import { Recorder } from '../src/results.js';

const plan = { sizes: [100], inFlight: [1, 4], ops: 50, warmup: 5 };

/** A correct subject over a Map, with one operation optionally replaced by a broken one. */
function mapSubject(name: string, broken: Partial<KvOps> = {}): KvSubject {
  return {
    name,
    ours: false,
    versions: {},
    open: async () => {
      const map = new Map<string, string>();
      return {
        set: async (key, value) => {
          map.set(key, value.text);
        },
        get: async (key) => lengthOf(map.get(key)),
        renew: undefined,
        delete: async (key) => {
          map.delete(key);
        },
        exists: async (key) => map.has(key),
        ...broken,
      };
    },
  };
}

/** Wraps `subject` to list each key first written (created) after any key space removed one. */
function watchCreates(subject: KvSubject): {
  subject: KvSubject;
  removed: () => boolean;
  createdAfterRemoval: string[];
} {
  let removed = false;
  const createdAfterRemoval: string[] = [];
  const watched: KvSubject = {
    ...subject,
    open: async (scope) => {
      const kv = await subject.open(scope);
      const written = new Set<string>();
      return {
        ...kv,
        set: async (key, value) => {
          if (removed && !written.has(key)) createdAfterRemoval.push(`${scope} ${key}`);
          written.add(key);
          await kv.set(key, value);
        },
        delete: async (key) => {
          removed = true;
          await kv.delete(key);
        },
      };
    },
  };
  return { subject: watched, removed: () => removed, createdAfterRemoval };
}

function quietRecorder(): Recorder {
  return new Recorder(() => {});
}

describe('runKvSuite()', () => {
  it('records every workload of a correct subject as ok, renew as n/a', async () => {
    const recorder = quietRecorder();
    await runKvSuite(recorder, 't', [mapSubject('good')], plan);
    const statuses = recorder.rows.map((r) => `${r.workload}:${r.status}`);
    expect(statuses).toEqual([
      ...['set:ok', 'overwrite:ok', 'get:ok', 'get+renew:n/a', 'exists:ok', 'delete:ok'],
      ...['set:ok', 'overwrite:ok', 'get:ok', 'get+renew:n/a', 'exists:ok', 'delete:ok'],
    ]);
    expect(recorder.failures).toHaveLength(0);
  });

  it('fails the row of a read that returns the wrong length, and skips the rest of its group', async () => {
    const recorder = quietRecorder();
    await runKvSuite(
      recorder,
      't',
      [mapSubject('short', { get: async () => 99 }), mapSubject('good')],
      plan,
    );
    const short = recorder.rows.filter((r) => r.subject === 'short' && r.inFlight === 1);
    expect(short.map((r) => r.status)).toEqual([
      'ok',
      'ok',
      'failed',
      'skipped',
      'skipped',
      'skipped',
    ]);
    expect(short[2]?.note).toMatch(/verification: .*expected 100 bytes, got 99/);
    expect(recorder.failures).toHaveLength(2); // one per concurrency level
    expect(
      recorder.rows.filter((r) => r.subject === 'good').every((r) => r.status !== 'failed'),
    ).toBe(true);
  });

  it('fails a delete that leaves the key readable', async () => {
    const recorder = quietRecorder();
    await runKvSuite(recorder, 't', [mapSubject('sticky', { delete: async () => {} })], plan);
    const deletes = recorder.rows.filter((r) => r.workload === 'delete');
    expect(deletes.map((r) => r.status)).toEqual(['failed', 'failed']);
    expect(deletes[0]?.note).toMatch(/still readable/);
  });

  it("settles before each stretch, told the stretch's operations and value size", async () => {
    const stretches: Stretch[] = [];
    const settle = async (stretch: Stretch): Promise<void> => {
      stretches.push(stretch);
    };
    await runKvSuite(quietRecorder(), 't', [mapSubject('a'), mapSubject('b')], {
      ...plan,
      sizes: [100, 7],
      inFlight: [1],
      settle,
    });
    // 2 sizes x 5 workloads with an equivalent x 3 stretches x 2 subjects.
    expect(stretches).toHaveLength(60);
    const bySize = (size: number) => stretches.filter((s) => s.size === size);
    expect(bySize(100)).toHaveLength(30);
    expect(bySize(7)).toHaveLength(30);
    // Each subject's three stretches of a row cover the row's operations exactly.
    expect(stretches.slice(0, 6).map((s) => s.ops)).toEqual([17, 17, 16, 16, 17, 17]);
    expect(bySize(100).reduce((sum, s) => sum + s.ops, 0)).toBe(5 * 2 * plan.ops);
  });

  it("with setsFirst, creates every group's keys before any group removes one", async () => {
    const recorder = quietRecorder();
    const watch = watchCreates(mapSubject('a'));
    await runKvSuite(recorder, 't', [watch.subject], {
      ...plan,
      sizes: [100, 7],
      warmUpFirst: false,
      setsFirst: true,
    });
    expect(watch.removed()).toBe(true);
    expect(watch.createdAfterRemoval).toEqual([]);
    const order = recorder.rows.map((r) => `${r.workload} ${r.valueBytes}x${r.inFlight}`);
    expect(order.slice(0, 4)).toEqual(['set 100x1', 'set 100x4', 'set 7x1', 'set 7x4']);
    expect(order.slice(4, 10)).toEqual([
      ...['overwrite', 'get', 'get+renew', 'exists', 'delete'].map((w) => `${w} 100x1`),
      'overwrite 100x4',
    ]);
    expect(order).toHaveLength(4 * 6);
    expect(recorder.rows.every((r) => r.status === 'ok' || r.status === 'n/a')).toBe(true);
  });

  it('without setsFirst, a later group creates keys after an earlier one removed some', async () => {
    const watch = watchCreates(mapSubject('a'));
    await runKvSuite(quietRecorder(), 't', [watch.subject], { ...plan, warmUpFirst: false });
    expect(watch.createdAfterRemoval.length).toBeGreaterThan(0);
  });

  it('fails the row of a backend that rejects', async () => {
    const recorder = quietRecorder();
    const down = async (): Promise<never> => {
      throw new Error('connection refused');
    };
    await runKvSuite(recorder, 't', [mapSubject('down', { exists: down })], plan);
    const exists = recorder.rows.filter((r) => r.workload === 'exists');
    expect(exists.map((r) => r.status)).toEqual(['failed', 'failed']);
    expect(exists[0]?.note).toMatch(/backend error: .*connection refused/);
  });
});

describe('timeLoop()', () => {
  it('runs the warm-up indices untimed, then every timed index once', async () => {
    const seen: number[] = [];
    const timing = await timeLoop({ ops: 10, warmup: 3, inFlight: 4 }, async (i) => {
      seen.push(i);
    });
    expect(seen.slice(0, 3)).toEqual([10, 11, 12]);
    expect(seen.slice(3).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(timing.ops).toBe(10);
  });

  it('keeps at most inFlight operations outstanding', async () => {
    let outstanding = 0;
    let most = 0;
    await timeLoop({ ops: 40, warmup: 0, inFlight: 8 }, async () => {
      outstanding++;
      most = Math.max(most, outstanding);
      await new Promise((resolve) => setImmediate(resolve));
      outstanding--;
    });
    expect(most).toBe(8);
  });
});

describe('percentile()', () => {
  it('picks by nearest rank', () => {
    const sorted = Float64Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 0.5)).toBe(50);
    expect(percentile(sorted, 0.99)).toBe(99);
    expect(percentile(Float64Array.of(7), 0.99)).toBe(7);
  });
});

describe('stretchOrder', () => {
  const subjects = ['ours', 'p1', 'p2', 'p3', 'p4', 'p5'];
  const orders = [0, 1, 2].map((s) => stretchOrder(subjects, s));

  it('times every subject once per stretch, ours first in the first', () => {
    for (const order of orders) expect([...order].sort()).toEqual([...subjects].sort());
    expect(orders[0]).toEqual(subjects);
    expect(orders.map((order) => order[0])).toEqual(['ours', 'p4', 'p2']);
  });

  it('never times a subject right after the same one in every stretch', () => {
    // Across stretches, in running order: the stretch before ends where this one starts.
    const run = orders.flat();
    for (const subject of subjects) {
      const before = new Set<string | undefined>();
      run.forEach((name, i) => {
        if (name === subject && i > 0) before.add(run[i - 1]);
      });
      expect(before.size, subject).toBeGreaterThan(1);
    }
  });
});
