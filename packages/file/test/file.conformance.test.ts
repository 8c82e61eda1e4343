import { runStoreConformance } from '@stores/conformance';
import { FileStore } from '../src/index.js';
import { freshDir } from './helpers.js';

runStoreConformance('FileStore', () => new FileStore({ path: freshDir('conformance') }));
runStoreConformance(
  'FileStore durable',
  () => new FileStore({ path: freshDir('conformance-durable'), durable: true }),
);
