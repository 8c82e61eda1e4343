import { StoreError } from '@stores/core';
import { describe, expect, it } from 'vitest';
import { toStoreError, withTimeout } from '../src/errors.js';

function replyError(message: string): Error {
  const error = new Error(message);
  error.name = 'ReplyError'; // how ioredis and iovalkey name server error replies
  return error;
}

describe('toStoreError()', () => {
  it('maps transport failures to STORE_CONNECTION, keeping the cause', () => {
    const cause = new Error('Connection is closed.');
    const mapped = toStoreError(cause);
    expect(StoreError.is(mapped, 'STORE_CONNECTION')).toBe(true);
    expect(mapped.cause).toBe(cause);
  });

  it('maps "unavailable" replies to STORE_CONNECTION and other replies to STORE_IO', () => {
    for (const message of ['LOADING x', 'CLUSTERDOWN x', 'READONLY x', 'MASTERDOWN x']) {
      expect(toStoreError(replyError(message)).code).toBe('STORE_CONNECTION');
    }
    for (const message of ['WRONGTYPE x', 'OOM x', 'NOPERM x', 'ERR x']) {
      expect(toStoreError(replyError(message)).code).toBe('STORE_IO');
    }
  });
});

describe('withTimeout()', () => {
  it('rejects with STORE_CONNECTION when the promise does not settle in time', async () => {
    const never = new Promise<never>(() => {});
    await expect(withTimeout(never, 10)).rejects.toSatisfy((e) =>
      StoreError.is(e, 'STORE_CONNECTION'),
    );
  });

  it('passes a settled result through', async () => {
    await expect(withTimeout(Promise.resolve(7), 1000)).resolves.toBe(7);
  });
});
