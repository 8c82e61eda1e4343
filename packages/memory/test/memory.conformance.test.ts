import { runStoreConformance } from '@stores/conformance';
import { MemoryStore } from '../src/index.js';

runStoreConformance('MemoryStore', () => new MemoryStore());
