import { describe, expect, it } from 'vitest';
import { decodeEntry, encodeResponse, encodeVary, type StoredResponse } from '../src/envelope.js';

const response: StoredResponse = {
  status: 200,
  headers: [
    ['content-type', 'text/plain'],
    ['x-multi', 'one'],
    ['x-multi', 'two'],
    ['x-latin1', 'caf\u00e9'],
  ],
  body: new Uint8Array([0, 1, 2, 255]),
};

function encoded(value: StoredResponse): Buffer {
  const bytes = encodeResponse(value);
  if (bytes === undefined) throw new Error('not encodable');
  return Buffer.from(bytes);
}

describe('encodeResponse()', () => {
  it('writes the documented layout', () => {
    const bytes = encoded({
      status: 301,
      headers: [['location', '/b']],
      body: new Uint8Array([0x68, 0x69]),
    });
    expect([...bytes]).toEqual([
      0x53,
      0x52,
      0x43,
      0x01,
      0x00, // magic "SRC", version 1, kind 0 (response)
      0x01,
      0x2d, // status 301
      0x00,
      0x01, // one header line
      0x00,
      0x08,
      ...Buffer.from('location'), // name length, name
      0x00,
      0x00,
      0x00,
      0x02,
      ...Buffer.from('/b'), // value length, value
      0x00,
      0x00,
      0x00,
      0x02,
      0x68,
      0x69, // body length, body
    ]);
  });

  it('round-trips through decodeEntry, Latin-1 and repeated lines included', () => {
    expect(decodeEntry(encoded(response))).toEqual({ kind: 'response', response });
    expect(Buffer.from(encoded(response)).includes(Buffer.from([0x63, 0x61, 0x66, 0xe9]))).toBe(
      true,
    );
  });
});

describe('encodeVary()', () => {
  it('writes the documented layout and round-trips', () => {
    const bytes = Buffer.from(encodeVary(['accept', 'x-v']));
    expect([...bytes]).toEqual([
      0x53,
      0x52,
      0x43,
      0x01,
      0x01, // magic, version 1, kind 1 (vary index)
      0x00,
      0x02, // two names
      0x00,
      0x06,
      ...Buffer.from('accept'),
      0x00,
      0x03,
      ...Buffer.from('x-v'),
    ]);
    expect(decodeEntry(bytes)).toEqual({ kind: 'vary', names: ['accept', 'x-v'] });
  });
});

describe('decodeEntry()', () => {
  const valid = encoded(response);

  it('refuses every truncation and any trailing byte', () => {
    for (let length = 0; length < valid.length; length++) {
      expect(decodeEntry(valid.subarray(0, length))).toBeUndefined();
    }
    expect(decodeEntry(Buffer.concat([valid, Buffer.from([0])]))).toBeUndefined();
  });

  it('refuses another magic, version or kind', () => {
    for (const [at, byte] of [
      [0, 0x73],
      [3, 0x02],
      [4, 0x02],
    ] as const) {
      const changed = Buffer.from(valid);
      changed[at] = byte;
      expect(decodeEntry(changed)).toBeUndefined();
    }
  });

  it('refuses foreign values: text, JSON, an empty value', () => {
    for (const foreign of ['hello', '{"status":200}', '', 'SRC']) {
      expect(decodeEntry(Buffer.from(foreign))).toBeUndefined();
    }
  });

  it('refuses a status outside 200-599 and header lines Node would refuse to send', () => {
    const status = Buffer.from(valid);
    status.writeUInt16BE(101, 5);
    expect(decodeEntry(status)).toBeUndefined();
    const badName = encoded({ ...response, headers: [['bad name', 'v']] });
    expect(decodeEntry(badName)).toBeUndefined();
    const badValue = encoded({ ...response, headers: [['x', 'line\r\nbreak']] });
    expect(decodeEntry(badValue)).toBeUndefined();
  });

  it('refuses a header count or length that runs past the end', () => {
    const count = Buffer.from(valid);
    count.writeUInt16BE(0xffff, 7);
    expect(decodeEntry(count)).toBeUndefined();
    const length = Buffer.from(valid);
    length.writeUInt16BE(0xffff, 9);
    expect(decodeEntry(length)).toBeUndefined();
  });
});
