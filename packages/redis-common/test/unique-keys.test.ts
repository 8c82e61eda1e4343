import { describe, expect, it } from 'vitest';
import { uniqueKeys } from '../src/unique-keys.js';

async function* pagesOf(pages: string[][]): AsyncGenerator<string[]> {
  for (const page of pages) yield page;
}

async function collect(pages: string[][]): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of uniqueKeys(pagesOf(pages))) keys.push(key);
  return keys;
}

describe('uniqueKeys()', () => {
  it('drops a key SCAN repeats in the same page or the next one', async () => {
    expect(await collect([['a', 'b', 'a'], ['c', 'b', 'd'], ['d', 'e'], []])).toEqual([
      'a',
      'b',
      'c',
      'd',
      'e',
    ]);
  });

  it('remembers only the previous page, so memory stays two pages', async () => {
    // A repeat from two pages back cannot come from a table shrink of less than a page.
    expect(await collect([['a'], ['b'], ['a']])).toEqual(['a', 'b', 'a']);
  });

  it('stops reading pages when the consumer stops', async () => {
    let read = 0;
    async function* counted(): AsyncGenerator<string[]> {
      for (;;) {
        read++;
        yield ['k'];
      }
    }
    for await (const _ of uniqueKeys(counted())) break;
    expect(read).toBe(1);
  });
});
