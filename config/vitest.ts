import type { ViteUserConfig } from 'vitest/config';

type TestOptions = NonNullable<ViteUserConfig['test']>;

/**
 * The test setup every package shares (its tests are `test/**\/*.test.ts`); a package adds only
 * what differs: `export default defineConfig(vitestPreset({ testTimeout: 60_000 }));`
 */
export function vitestPreset(test: TestOptions = {}): ViteUserConfig {
  return { test: { include: ['test/**/*.test.ts'], ...test } };
}
