/**
 * FastCDC content-defined chunking (Xia et al., USENIX ATC 2016): a 32-bit gear hash, no hashing of the first `min`
 * bytes of a chunk, then a cut after the first byte whose hash matches one mask, so a chunk is `min` bytes plus a
 * geometric stretch of mean `avg - min`. Because cut points depend only on nearby content, a change alters the chunks
 * around it and the rest resynchronise, which is what makes deduplication work across backups.
 *
 * FastCDC's "normalized chunking" (a stricter mask before the average size, a looser one after) is deliberately not
 * used: it makes whether a byte is a cut point depend on its distance from the chunk's start, so after a change the
 * chunker often skips the old cut points and resynchronises chunks later. Measured on a 100 MiB random file with the
 * bench's change (six 64 KiB overwrites, two rewritten 4.9 MiB regions), 60 random gear tables each: normalized
 * 512 KiB/1 MiB re-sent 24.1 MiB on average (worst 35.2); one mask with 512 KiB + 512 KiB 20.4 (27.2); with
 * 256 KiB + 256 KiB 15.9 (worst 18.3), which keeps a 1 % change under 2 % of the data (docs/backup-format.md).
 */

export type ChunkSizes = { min: number; avg: number; max: number };

export const CHUNK_SIZES: ChunkSizes = { min: 256 * 1024, avg: 512 * 1024, max: 8 * 1024 * 1024 };

const masksBySizes = new WeakMap<ChunkSizes, number>();

// With `h = (h << 1) + gear[b]`, bit k of the hash depends on the last k + 1 bytes only, so the mask bits are taken
// from the high end (bits 31 down to 8) where every bit sees a window of at least 9 bytes.
function spreadMask(bits: number): number {
  const span = Math.max(bits, 24);
  let mask = 0;
  for (let k = 0; k < bits; k++) mask |= 1 << (31 - Math.floor((k * span) / bits));
  return mask;
}

/** The cut mask: `avg - min` must be a power of two (the mean stretch after `min`, one cut chance in it per byte). */
function maskFor(sizes: ChunkSizes): number {
  let mask = masksBySizes.get(sizes);
  if (mask === undefined) {
    const { min, avg, max } = sizes;
    if (!Number.isInteger(min) || !Number.isInteger(max) || min < 64 || min >= avg || max < avg) {
      throw new RangeError(`Chunk sizes need 64 <= min < avg <= max, got ${min}, ${avg}, ${max}.`);
    }
    const bits = Math.log2(avg - min);
    if (!Number.isInteger(bits) || bits < 4 || bits > 24) {
      throw new RangeError(`avg - min must be a power of two from 16 bytes to 16 MiB, got ${avg - min}.`);
    }
    mask = spreadMask(bits);
    masksBySizes.set(sizes, mask);
  }
  return mask;
}

/** Where a scan stopped inside a chunk, so it can resume when more bytes arrive without rehashing. */
type ScanState = { pos: number; hash: number };

/**
 * Scans the chunk starting at `chunkStart` (which may lie before `buf`, for bytes already scanned and held elsewhere)
 * from `state.pos`, over the bytes up to `end`. Returns the chunk's length, or -1 after saving its progress in
 * `state` when the chunk may continue past `end`.
 */
function scan(
  gear: Uint32Array,
  buf: Uint8Array,
  chunkStart: number,
  end: number,
  sizes: ChunkSizes,
  state: ScanState,
): number {
  const mask = maskFor(sizes);
  const { min, max } = sizes;
  const available = end - chunkStart;
  const limit = Math.min(available, max);
  let h = state.hash;
  let i = state.pos;
  if (i < min) {
    i = min;
    h = 0;
  }
  const limitEnd = chunkStart + limit;
  for (let p = chunkStart + i; p < limitEnd; p++) {
    h = ((h << 1) + gear[buf[p]!]!) | 0;
    if ((h & mask) === 0) return p - chunkStart + 1;
  }
  if (limit === max) return max;
  state.pos = limit;
  state.hash = h;
  return -1;
}

/**
 * The length of the chunk starting at `start` in `buf[start..end)`, or -1 when the bytes run out before a cut point
 * (and before `max`): the caller needs more data, or, at the end of the input, takes the rest as the last chunk.
 */
export function findBoundary(
  gear: Uint32Array,
  buf: Uint8Array,
  start: number,
  end: number,
  sizes: ChunkSizes = CHUNK_SIZES,
): number {
  return scan(gear, buf, start, end, sizes, { pos: 0, hash: 0 });
}

/**
 * Splits a stream into chunks as it arrives, holding at most one incomplete chunk (`max` bytes).
 *
 * Chunks that lie wholly inside one pushed buffer are returned as views of it, not copies: if the caller reuses that
 * buffer's memory for the next read, it must be done with (or copy) the chunks first.
 */
export class Chunker {
  private readonly state: ScanState = { pos: 0, hash: 0 };
  private carry: Uint8Array | null = null;
  private carried = 0;

  constructor(
    private readonly gear: Uint32Array,
    private readonly sizes: ChunkSizes = CHUNK_SIZES,
  ) {
    if (gear.length !== 256) throw new RangeError('The gear table has 256 entries.');
    maskFor(sizes);
  }

  /** Feeds the next bytes; returns the chunks they completed, in order. */
  push(data: Uint8Array): Uint8Array[] {
    const chunks: Uint8Array[] = [];
    // The current chunk begins `carried` bytes before data[0]; those bytes are in `carry`, already scanned.
    let chunkStart = -this.carried;
    for (;;) {
      const length = scan(this.gear, data, chunkStart, data.length, this.sizes, this.state);
      if (length < 0) break;
      chunks.push(this.take(data, chunkStart, length));
      chunkStart += length;
    }
    const from = Math.max(chunkStart, 0);
    if (from < data.length) {
      // Grown as needed rather than allocated at `max` up front: a stream of small files would otherwise allocate
      // (and the garbage collector reclaim) megabytes per file.
      const needed = this.carried + data.length - from;
      if (!this.carry || this.carry.length < needed) {
        const grown = new Uint8Array(Math.min(this.sizes.max, Math.max(needed, (this.carry?.length ?? 0) * 2)));
        if (this.carry) grown.set(this.carry.subarray(0, this.carried));
        this.carry = grown;
      }
      this.carry.set(data.subarray(from), this.carried);
      this.carried += data.length - from;
    }
    return chunks;
  }

  /** Ends the stream: the last, possibly short, chunk, or null when nothing is left. */
  finish(): Uint8Array | null {
    const rest = this.carried > 0 && this.carry ? this.carry.slice(0, this.carried) : null;
    this.carried = 0;
    this.state.pos = 0;
    this.state.hash = 0;
    return rest;
  }

  private take(data: Uint8Array, chunkStart: number, length: number): Uint8Array {
    this.state.pos = 0;
    this.state.hash = 0;
    if (chunkStart >= 0) return data.subarray(chunkStart, chunkStart + length);
    const chunk = new Uint8Array(length);
    chunk.set(this.carry!.subarray(0, this.carried), 0);
    chunk.set(data.subarray(0, chunkStart + length), this.carried);
    this.carried = 0;
    return chunk;
  }
}
