export {
  ConformanceError,
  check,
  checkBytes,
  checkRejects,
  checkThrows,
  describeError,
} from './assertions.js';
export { cases } from './cases/index.js';
export {
  formatResult,
  formatSummary,
  PASSES,
  type RunCasesOptions,
  runCase,
  runCases,
} from './runner.js';
export type {
  CaseContext,
  CaseResult,
  ConformanceCase,
  ConformanceOptions,
  PassName,
  SharedStoreOptions,
  StoreFactory,
} from './types.js';
export { runStoreConformance } from './vitest.js';
