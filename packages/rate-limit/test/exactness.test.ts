import { randomUUID } from 'node:crypto';
import { describeEachBackend, type StoreSpec } from '@stores/test-backends';
import { describe, expect, it } from 'vitest';
import { startChild } from './children.js';

const LIMIT = 100;

/** Every `remaining` an admitted hit of a limit-100 window can see, once each: 99 down to 0. */
const EACH_REMAINING = Array.from({ length: LIMIT }, (_, i) => i);

interface Run {
  readonly spec: StoreSpec;
  readonly mode: 'limiter' | 'get-set';
  readonly processes: number;
  readonly hits: number;
  readonly inFlight: number;
}

/** Starts the hitters, lets them go at once, and returns the `remaining` of every admitted hit. */
async function admittedHits({ processes, ...run }: Run): Promise<number[]> {
  // The window outlasts any run, so every hit falls in the first one.
  const config = { ...run, id: `client-${randomUUID()}`, limit: LIMIT, windowSec: 600 };
  const children = Array.from({ length: processes }, () => startChild('hitter.mjs', config));
  await Promise.all(children.map((child) => child.next()));
  for (const child of children) child.send('go');
  const admitted = await Promise.all(children.map((child) => child.next<number[]>()));
  await Promise.all(children.map((child) => child.stop()));
  return admitted.flat().sort((a, b) => a - b);
}

await describeEachBackend((backend) => {
  // Shared backends: 4 processes × 16 in flight × 250 hits; memory cannot be shared, so one
  // process × 64 in flight × 1000 hits.
  const load = backend.shared
    ? { processes: 4, inFlight: 16, hits: 250 }
    : { processes: 1, inFlight: 64, hits: 1000 };

  describe('hit() under contention', () => {
    it(`admits exactly the limit of 1000 concurrent hits (${load.processes} process${load.processes === 1 ? '' : 'es'} × ${load.inFlight} in flight)`, async () => {
      const admitted = await admittedHits({ spec: backend.freshSpec(), mode: 'limiter', ...load });
      expect(admitted).toEqual(EACH_REMAINING);
    });

    it('catches over-admission: a limiter written over get and set admits more than the limit', async () => {
      const admitted = await admittedHits({ spec: backend.freshSpec(), mode: 'get-set', ...load });
      expect(admitted.length).toBeGreaterThan(LIMIT);
    });
  });
});
