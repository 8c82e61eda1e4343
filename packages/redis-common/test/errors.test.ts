import { StoreError } from '@stores/core';
import { describe, expect, it } from 'vitest';
import { CommandTimer, toStoreError, withTimeout } from '../src/errors.js';

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

describe('toStoreError() messages', () => {
  const at = 'the server at 127.0.0.1:6390';
  const socketError = (code: string, message: string): Error =>
    Object.assign(new Error(message), { code });

  it('names the endpoint and the socket error, in words and by code', () => {
    expect(toStoreError(socketError('ECONNREFUSED', 'connect ECONNREFUSED'), at).message).toBe(
      `cannot use ${at}: connection refused (ECONNREFUSED)`,
    );
    expect(toStoreError(socketError('ENOTFOUND', 'getaddrinfo ENOTFOUND x'), at).message).toBe(
      `cannot use ${at}: the host name does not resolve (ENOTFOUND)`,
    );
  });

  it('says why a "no connection" error happened from the last connection error', () => {
    const gone = Object.assign(new Error('Reached the max retries per request limit'), {
      name: 'MaxRetriesPerRequestError',
    });
    const mapped = toStoreError(gone, at, socketError('ECONNREFUSED', 'connect ECONNREFUSED'));
    expect(mapped.code).toBe('STORE_CONNECTION');
    expect(mapped.message).toBe(`cannot use ${at}: connection refused (ECONNREFUSED)`);
    expect(mapped.cause).toBe(gone);
  });

  it('maps protocol errors, refused credentials and a missing db to STORE_CONNECTION', () => {
    const missingDb = Object.assign(replyError('ERR DB index is out of range'), {
      command: { name: 'select', args: ['99'] },
    });
    for (const [error, words] of [
      [new Error('Unknown RESP type 72 "H". Please report this.'), 'not a Redis server'],
      [new Error('Protocol error, got "H" as reply type byte.'), 'not a Redis server'],
      [replyError('WRONGPASS invalid username-password pair'), 'it refused the credentials'],
      [replyError('NOAUTH Authentication required.'), 'it refused the credentials'],
      [missingDb, 'it has no db 99'],
    ] as const) {
      const mapped = toStoreError(error, at);
      expect(mapped.code).toBe('STORE_CONNECTION');
      expect(mapped.message).toContain(`cannot use ${at}: ${words}`);
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

describe('CommandTimer', () => {
  it('rejects each command that has not settled within its own timeout, and only those', async () => {
    const timer = new CommandTimer(40);
    const started = performance.now();
    const outcome = (promise: Promise<unknown>): Promise<[string, number]> =>
      timer.bound(promise).then(
        () => ['ok', performance.now() - started],
        (error: unknown) => [
          StoreError.is(error) ? error.code : 'other',
          performance.now() - started,
        ],
      );
    const hung = outcome(new Promise(() => {}));
    const late = outcome(new Promise((resolve) => setTimeout(resolve, 200)));
    const soon = outcome(new Promise((resolve) => setTimeout(resolve, 5)));
    const failing = outcome(Promise.reject(new Error('boom')));
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Bound 20 ms after the others: its own deadline applies, not the first command's.
    const boundLaterAt = performance.now() - started;
    const hungLater = outcome(new Promise(() => {}));
    expect((await soon)[0]).toBe('ok');
    expect((await failing)[0]).toBe('other');
    expect((await late)[0]).toBe('STORE_CONNECTION');
    const [hungCode, hungAt] = await hung;
    const [laterCode, laterAt] = await hungLater;
    expect([hungCode, laterCode]).toEqual(['STORE_CONNECTION', 'STORE_CONNECTION']);
    // Lower bounds only (a timer may fire late on a busy machine, never early).
    expect(hungAt).toBeGreaterThanOrEqual(39);
    expect(laterAt).toBeGreaterThanOrEqual(boundLaterAt + 39);
  });

  it('holds about what is in flight, even behind a command that hangs', async () => {
    const timer = new CommandTimer(60_000);
    const hung = timer.bound(new Promise(() => {}));
    hung.catch(() => {});
    let most = 0;
    // 64 in flight, settling in order, 200 rounds: 12,800 commands behind the hung one.
    for (let round = 0; round < 200; round++) {
      const batch = Array.from({ length: 64 }, (_, i) => timer.bound(Promise.resolve(i)));
      most = Math.max(most, timer.held);
      await Promise.all(batch);
    }
    most = Math.max(most, timer.held);
    // The hung one, up to 1024 settled ones not yet dropped, and a batch or two.
    expect(most).toBeLessThanOrEqual(1 + 1024 + 64 + 64);
    // A burst of 5,000 at once, then 19,200 more 64 at a time: what it holds stays within
    // twice the most ever in flight (plus 1024), however many commands pass.
    await Promise.all(Array.from({ length: 5000 }, () => timer.bound(Promise.resolve('ok'))));
    most = 0;
    for (let round = 0; round < 300; round++) {
      const batch = Array.from({ length: 64 }, (_, i) => timer.bound(Promise.resolve(i)));
      most = Math.max(most, timer.held);
      await Promise.all(batch);
    }
    expect(most).toBeLessThanOrEqual(2 * 5001 + 1024 + 64);
  });

  it('drops what settled from the head, so a queue of settled commands empties', async () => {
    const timer = new CommandTimer(60_000);
    for (let i = 0; i < 10_000; i++) await timer.bound(Promise.resolve(i));
    expect(timer.held).toBe(1);
  });

  it('passes promises through untouched without a bound', async () => {
    const promise = Promise.resolve(1);
    expect(new CommandTimer(Number.POSITIVE_INFINITY).bound(promise)).toBe(promise);
  });

  it("with a command's own reject, times out the command itself; failures pass through map", async () => {
    const timer = new CommandTimer(30);
    const map = (error: unknown): Error => new Error(`mapped: ${(error as Error).message}`);
    /** A command as a library makes it: its promise and the reject that settles it. */
    const command = (): { promise: Promise<unknown>; reject: (error: Error) => void } => {
      let reject: (error: Error) => void = () => {};
      const promise = new Promise<unknown>((_, rejectIt) => {
        reject = rejectIt;
      });
      return { promise, reject };
    };
    const hung = command();
    const cancelled: Error[] = [];
    const bound = timer.bound(hung.promise, map, (error) => {
      cancelled.push(error);
      hung.reject(error);
    });
    const message = 'no reply from the server in 30 ms (commandTimeoutMs)';
    await expect(bound).rejects.toThrow(`mapped: ${message}`);
    // The timer rejected the command itself, with the store's timeout error.
    expect(cancelled.map((error) => StoreError.is(error) && error.code)).toEqual([
      'STORE_CONNECTION',
    ]);
    await expect(hung.promise).rejects.toThrow(message);
    // A failure of the command passes through map; a reply passes through as it is.
    const failing = command();
    const failed = timer.bound(failing.promise, map, failing.reject);
    failing.reject(new Error('boom'));
    await expect(failed).rejects.toThrow('mapped: boom');
    await expect(timer.bound(Promise.resolve('ok'), map, () => {})).resolves.toBe('ok');
    // Settled commands are not cancelled later, and are dropped.
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(cancelled).toHaveLength(1);
    await timer.bound(Promise.resolve('next'), map, () => {});
    expect(timer.held).toBe(1);
  });
});
