import { defineBackendTests } from '../../redis-common/test/kit.js';
import { backend } from './backend.js';

await defineBackendTests(backend);
