export {
  type ClientFactory,
  type CommandArgument,
  type CommandLibrary,
  type CommandMaker,
  type LibraryCommand,
  libraryCommands,
  OWN_CLIENT_DEFAULTS,
  type RedisLikeClient,
} from './client.js';
export { toStoreError } from './errors.js';
export { hashSlot } from './hash-slot.js';
export {
  childPrefix,
  entryKey,
  matchPattern,
  parseEntryKey,
  rootPrefix,
  SEGMENT_END,
} from './key-layout.js';
export {
  type NamespaceInit,
  RedisLikeStore,
  type RedisLikeStoreOptions,
} from './redis-like-store.js';
