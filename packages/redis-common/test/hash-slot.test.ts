import { describe, expect, it } from 'vitest';
import { hashSlot } from '../src/hash-slot.js';

const slot = (key: string): number => hashSlot(Buffer.from(key, 'utf8'));

describe('hashSlot()', () => {
  it('matches the CRC16 check value and slots published by Redis', () => {
    expect(slot('123456789')).toBe(0x31c3 % 16384); // CRC16-XMODEM check value 0x31C3
    expect(slot('foo')).toBe(12182);
    expect(slot('bar')).toBe(5061);
  });

  it('hashes only a non-empty hash tag', () => {
    expect(slot('{user1000}.following')).toBe(slot('user1000'));
    expect(slot('{user1000}.followers')).toBe(slot('user1000'));
    expect(slot('foo{}{bar}')).not.toBe(slot('bar')); // empty first tag: the whole key
    expect(slot('foo{{bar}}zap')).toBe(slot('{bar'));
    expect(slot('foo{bar}{zap}')).toBe(slot('bar'));
  });
});
