import { describe, it } from 'vitest';
import { cases } from './cases/index.js';
import { PASSES, resolveOptions, runCase } from './runner.js';
import type { ConformanceOptions, StoreFactory } from './types.js';

/**
 * Registers the whole conformance suite as vitest tests under `describe(name)`: every case in
 * the `root`, `namespace` and `nested namespace` passes, each on a fresh store from `factory`
 * that the suite closes afterwards. Cases the store's capabilities exclude show as skipped.
 * Invalid options throw here, when the file registers its tests.
 */
export function runStoreConformance(
  name: string,
  factory: StoreFactory,
  options: ConformanceOptions = {},
): void {
  const timing = resolveOptions(options);
  describe(name, () => {
    for (const pass of PASSES) {
      describe(pass, { concurrent: timing.concurrency > 1 }, () => {
        for (const testCase of cases) {
          // The runner enforces timeoutMs itself; vitest's limit is only a backstop.
          it(
            `${testCase.id}: ${testCase.title}`,
            { timeout: timing.timeoutMs + 5_000 },
            async (ctx) => {
              const result = await runCase(testCase, factory, pass, options);
              if (result.status === 'skipped') ctx.skip(String(result.error));
              if (result.status === 'failed') throw result.error;
            },
          );
        }
      });
    }
  });
}
