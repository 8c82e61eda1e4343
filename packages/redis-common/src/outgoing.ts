// Values on their way to the server are copied into shared slabs, not each into an ArrayBuffer
// of its own: allocating an ArrayBuffer costs more than the copy (about 0.7 µs on Node 20 for
// anything over 64 bytes), and the client may hold a value until it is answered (an offline
// queue, a pipeline, a resend after a reconnect), so the caller's own bytes are never handed
// over. A slab region is written once and never reused; slabs are only ever seen by the client
// and are freed by the garbage collector when the commands using them are gone.
const SLAB_BYTES = 1 << 20;
// Larger values get a buffer of their own: a slab is for many values, not a few.
const LARGEST_IN_SLAB = 64 << 10;

let slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
let used = 0;

/** A copy of `bytes` for the client to send (and resend) as it is, whatever the caller does next. */
export function outgoingCopy(bytes: Uint8Array): Buffer {
  const length = bytes.byteLength;
  if (length > LARGEST_IN_SLAB) {
    const own = Buffer.allocUnsafeSlow(length);
    own.set(bytes);
    return own;
  }
  if (used + length > SLAB_BYTES) {
    slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
    used = 0;
  }
  const copy = slab.subarray(used, used + length);
  copy.set(bytes);
  used += length;
  return copy;
}
