export type { SessionCallback } from './callback.js';
export {
  type SessionSerializer,
  SessionStore,
  type SessionStoreOptions,
  type StoredSession,
} from './session-store.js';
