import type { ConformanceCase } from '../types.js';
import { atomicCases } from './atomic.js';
import { dataCases } from './data.js';
import { expiryCases } from './expiry.js';
import { isolationCases } from './isolation.js';
import { keysCases } from './keys.js';
import { lifecycleCases } from './lifecycle.js';
import { modelCase } from './model.js';
import { namespaceCases } from './namespaces.js';
import { optionsCases } from './options.js';
import { sharedCases } from './shared.js';

/**
 * The contract (contract §1–3, §7, §8) as a table of cases, in the order they run. Each case gets a
 * fresh store and depends on no other.
 */
export const cases: readonly ConformanceCase[] = Object.freeze([
  ...dataCases,
  ...isolationCases,
  ...optionsCases,
  ...expiryCases,
  ...namespaceCases,
  ...atomicCases,
  ...keysCases,
  ...lifecycleCases,
  ...sharedCases,
  modelCase,
]);
