import keyvTestSuite, {
  keyvApiTests,
  keyvIteratorTests,
  keyvNamespaceTest,
} from '@keyv/test-suite';
import type { Store } from '@stores/core';
import { describeEachBackend } from '@stores/test-backends';
import { Keyv } from 'keyv';
import * as vitest from 'vitest';
import { createKeyv, KeyvStoresAdapter } from '../src/index.js';

// The suite builds `new Keyv({ store: store(), namespace })`; this builds the same through
// createKeyv, the only way Keyv 5 lets a third-party adapter iterate. (One case builds a Keyv
// without a store, on Keyv's own Map: that one stays as it is.)
function ViaCreateKeyv(options?: { store: Store; namespace?: string }): Keyv {
  if (options === undefined) return new Keyv();
  const { store, namespace } = options;
  return createKeyv(store, namespace === undefined ? {} : { namespace });
}
const KeyvFromCreateKeyv = ViaCreateKeyv as unknown as typeof Keyv;

await describeEachBackend((backend) => {
  const scope = backend.open();

  // What NestJS's CacheModule and cacheable do with an adapter: wrap it in `new Keyv()`.
  vitest.describe('@keyv/test-suite on new Keyv({ store: KeyvStoresAdapter })', () => {
    keyvTestSuite(vitest, Keyv, () => new KeyvStoresAdapter(scope));
  });

  // The values suite sets `store().opts`, so it runs on the adapter only (above); the rest again.
  vitest.describe('@keyv/test-suite on createKeyv()', () => {
    keyvApiTests(vitest, KeyvFromCreateKeyv, () => scope);
    keyvNamespaceTest(vitest, KeyvFromCreateKeyv, () => scope);
    keyvIteratorTests(vitest, KeyvFromCreateKeyv, () => scope);
  });
});
