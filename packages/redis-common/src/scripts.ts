import { createHash } from 'node:crypto';

/** A Lua script the store runs by `EVALSHA`, falling back to `EVAL` on `NOSCRIPT`. */
export interface Script {
  /** The Lua source. */
  readonly text: string;
  /** Its SHA-1, as `EVALSHA` names it. */
  readonly sha: string;
}

function script(text: string): Script {
  return { text, sha: createHash('sha1').update(text).digest('hex') };
}

// Every script uses `redis.call` only, so it runs on Redis 7 and Valkey 7/8. RENEW and
// INCREMENT touch one key, KEYS[1], so they run on any cluster node that owns it.

/**
 * Returns the value and, only if the key already expires, resets its expiry to ARGV[1] ms, in
 * one atomic step. `>= 0`: in a key's last millisecond PTTL is 0 yet GET still returns it, and
 * it still has an expiry.
 */
export const RENEW_SCRIPT: Script = script(`local value = redis.call('GET', KEYS[1])
if value and redis.call('PTTL', KEYS[1]) >= 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return value`);

/**
 * Adds ARGV[1] (a safe integer) to the counter under KEYS[1] by core's rules, which are
 * stricter than INCRBY's (it takes any 64-bit integer): the entry must be the canonical
 * decimal of an integer within ±(2^53 − 1), and so must the result. A missing key counts as 0
 * and is created with ARGV[2] ms to live, if given; an existing one keeps its TTL (KEEPTTL).
 * Replies `{0, result}`; `{1, first bytes of the entry}` if it is not a counter; `{2, entry}`
 * if the result is out of range. The result goes back as a string: ioredis 6 decodes the
 * integer reply 9007199254740991 as 9007199254740992. Limits are compared in 8-digit halves,
 * exactly (Lua numbers are doubles; Lua string comparison follows the server's locale).
 */
export const INCREMENT_SCRIPT: Script = script(`local current = redis.call('GET', KEYS[1])
local value = 0
if current then
  local digits = string.match(current, '^%-?([1-9]%d*)$')
  if current ~= '0' then
    if digits == nil or #digits > 16 then return {1, string.sub(current, 1, 18)} end
    if #digits == 16 then
      local high = tonumber(string.sub(digits, 1, 8))
      if high > 90071992 or (high == 90071992 and tonumber(string.sub(digits, 9)) > 54740991) then
        return {1, current}
      end
    end
    value = tonumber(current)
  end
end
local result = value + tonumber(ARGV[1])
if result > 9007199254740991 or result < -9007199254740991 then
  return {2, current or '0'}
end
result = string.format('%d', result)
if current then
  redis.call('SET', KEYS[1], result, 'KEEPTTL')
elseif ARGV[2] then
  redis.call('SET', KEYS[1], result, 'PX', ARGV[2])
else
  redis.call('SET', KEYS[1], result)
end
return {0, result}`);

/**
 * One page of `deleteAll`: `SCAN ARGV[1] MATCH ARGV[2] COUNT ARGV[3]`, then `UNLINK` of the
 * page's keys; replies the next cursor. The client loops the cursor, so the server is held for
 * one page at a time (never the whole keyspace, as Litestar's script did), and no key crosses
 * the network. It declares no keys (SCAN finds them), so it must be sent to the node whose keys
 * it deletes, never through a cluster router.
 * - ARGV[4] `'1'` (a cluster node): one UNLINK per key. A node's page spans many slots, which a
 *   script may touch only with `allow-cross-slot-keys`, and even then no single command may
 *   name keys of several slots. Otherwise one UNLINK per 1000 keys (`unpack` is bounded by
 *   Lua's stack), which costs the server a fifth to a third less per page (measured).
 * - `allow-oom`: deleteAll is how a full server frees memory, and a script with flags is
 *   refused over `maxmemory` without it.
 * - No `no-writes`: a replica refuses it (READONLY) before it runs.
 * - Servers older than Redis 7 cannot compile the flags line; the store then loops itself.
 */
export const DELETE_PAGE_SCRIPT: Script = script(`#!lua flags=allow-oom,allow-cross-slot-keys
local page = redis.call('SCAN', ARGV[1], 'MATCH', ARGV[2], 'COUNT', ARGV[3])
local keys = page[2]
if ARGV[4] == '1' then
  for i = 1, #keys do
    redis.call('UNLINK', keys[i])
  end
else
  for i = 1, #keys, 1000 do
    redis.call('UNLINK', unpack(keys, i, math.min(i + 999, #keys)))
  end
end
return page[1]`);
