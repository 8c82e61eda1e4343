import { defineConformanceTests } from '../../redis-common/test/kit.js';
import { backend } from './backend.js';

await defineConformanceTests(backend);
