import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { STORE_ERROR_CODES, StoreError } from '../src/index.js';

describe('StoreError', () => {
  it('keeps the code, the message and the cause', () => {
    const cause = new Error('disk full');
    const error = new StoreError('STORE_IO', 'write failed', { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('StoreError');
    expect(error.code).toBe('STORE_IO');
    expect(error.message).toBe('write failed');
    expect(error.cause).toBe(cause);
  });

  it('is() recognises store errors and optionally their code, and nothing else', () => {
    const error = new StoreError('STORE_CLOSED', 'closed');
    expect(StoreError.is(error)).toBe(true);
    expect(StoreError.is(error, 'STORE_CLOSED')).toBe(true);
    expect(StoreError.is(error, 'STORE_IO')).toBe(false);
    expect(StoreError.is(new Error('x'))).toBe(false);
    expect(StoreError.is({ code: 'STORE_CLOSED', name: 'StoreError' })).toBe(false);
    expect(StoreError.is(null)).toBe(false);
    expect(StoreError.is('STORE_CLOSED')).toBe(false);
  });

  it('lists every code once', () => {
    expect(new Set(STORE_ERROR_CODES).size).toBe(STORE_ERROR_CODES.length);
    expect(STORE_ERROR_CODES).toContain('STORE_NAMESPACE_REQUIRED');
    expect(Object.isFrozen(STORE_ERROR_CODES)).toBe(true);
  });

  it('is() works across two copies of @stores/core loaded in one process', () => {
    // Two real copies of the built package on disk, loaded by a real Node process.
    const dist = join(import.meta.dirname, '..', 'dist');
    const dir = mkdtempSync(join(tmpdir(), 'stores-core-copies-'));
    try {
      cpSync(dist, join(dir, 'a'), { recursive: true });
      cpSync(dist, join(dir, 'b'), { recursive: true });
      const script = `
        const a = await import(${JSON.stringify(join(dir, 'a', 'index.js'))});
        const b = await import(${JSON.stringify(join(dir, 'b', 'index.js'))});
        const e = new a.StoreError('STORE_IO', 'x');
        console.log(JSON.stringify([a.StoreError === b.StoreError, e instanceof b.StoreError,
          b.StoreError.is(e), b.StoreError.is(e, 'STORE_IO'), b.StoreError.is(e, 'STORE_CLOSED')]));
      `;
      const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
        encoding: 'utf8',
      });
      expect(JSON.parse(out)).toEqual([false, false, true, true, false]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
