import type { ConformanceCase } from '../types.js';
import { dataCases } from './data.js';
import { expiryCases } from './expiry.js';
import { lifecycleCases } from './lifecycle.js';
import { modelCase } from './model.js';
import { namespaceCases } from './namespaces.js';

/**
 * The contract (SPEC §1–3, §7) as a table of cases, in the order they run. Each case gets a
 * fresh store and depends on no other.
 */
export const cases: readonly ConformanceCase[] = Object.freeze([
  ...dataCases,
  ...expiryCases,
  ...namespaceCases,
  ...lifecycleCases,
  modelCase,
]);
