// CRC16-XMODEM (polynomial 0x1021), the checksum Redis Cluster hashes keys with.
const TABLE: Uint16Array = (() => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1;
    table[i] = crc & 0xffff;
  }
  return table;
})();

function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) ^ (TABLE[((crc >> 8) ^ byte) & 0xff] ?? 0)) & 0xffff;
  return crc;
}

/**
 * The Redis Cluster slot (0-16383) of a key, as `CLUSTER KEYSLOT` computes it: only the part
 * between the first `{` and the next `}` is hashed when that part is non-empty (a hash tag).
 */
export function hashSlot(key: Uint8Array): number {
  const open = key.indexOf(0x7b);
  if (open !== -1) {
    const close = key.indexOf(0x7d, open + 1);
    if (close > open + 1) return crc16(key.subarray(open + 1, close)) % 16384;
  }
  return crc16(key) % 16384;
}
