import { FileStore } from '@stores/file';
import { RedisStore } from '@stores/redis';
import { ValkeyStore } from '@stores/valkey';

/**
 * The one root store of the app, chosen by `url`: `redis://` or `rediss://` → RedisStore,
 * `valkey://` or `valkeys://` → ValkeyStore, unset → an embedded FileStore under `dataDir`
 * (default `./.data`), so the app runs with no server installed.
 */
export function openRoot(url, dataDir = './.data') {
  if (url === undefined || url === '') return new FileStore({ path: dataDir });
  const scheme = url.slice(0, url.indexOf(':'));
  if (scheme === 'redis' || scheme === 'rediss')
    return RedisStore.fromUrl(url, { namespace: 'APP' });
  if (scheme === 'valkey' || scheme === 'valkeys') {
    // iovalkey speaks the Redis protocol and URL: the scheme only picks the client library.
    return ValkeyStore.fromUrl(url.replace(/^valkey/, 'redis'), { namespace: 'APP' });
  }
  throw new Error(
    `STORES_URL must start with redis://, rediss://, valkey:// or valkeys://, got '${url}'`,
  );
}
