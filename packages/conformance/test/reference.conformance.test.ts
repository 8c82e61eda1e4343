import { runStoreConformance } from '../src/index.js';
import { ReferenceStore } from './reference-store.js';

runStoreConformance('ReferenceStore', () => new ReferenceStore());
