/**
 * FastCDC content-defined chunking (Xia et al., USENIX ATC 2016) with normalized chunking at level 2: a 32-bit gear
 * hash, no hashing of the first `min` bytes of a chunk, a stricter mask before the average size and a looser one
 * after it, so sizes cluster around the average. Because cut points depend only on nearby content, an insertion
 * changes the chunks around it and the rest resynchronise, which is what makes deduplication work across backups.
 */

export type ChunkSizes = { min: number; avg: number; max: number };

export const CHUNK_SIZES: ChunkSizes = { min: 512 * 1024, avg: 1024 * 1024, max: 8 * 1024 * 1024 };

const NORMALIZATION_LEVEL = 2;

type Masks = { maskS: number; maskL: number };

// With `h = (h << 1) + gear[b]`, bit k of the hash depends on the last k + 1 bytes only, so the mask bits are taken
// from the high end (bits 31 down to 8) where every bit sees a window of at least 9 bytes.
function spreadMask(bits: number): number {
  const span = Math.max(bits, 24);
  let mask = 0;
  for (let k = 0; k < bits; k++) mask |= 1 << (31 - Math.floor((k * span) / bits));
  return mask;
}

const masksBySizes = new WeakMap<ChunkSizes, Masks>();

function masksFor(sizes: ChunkSizes): Masks {
  let masks = masksBySizes.get(sizes);
  if (!masks) {
    const { min, avg, max } = sizes;
    const bits = Math.log2(avg);
    if (!Number.isInteger(bits) || bits - NORMALIZATION_LEVEL < 4 || bits + NORMALIZATION_LEVEL > 31) {
      throw new RangeError(`The average chunk size must be a power of two from 64 bytes to 512 MiB, got ${avg}.`);
    }
    if (!Number.isInteger(min) || !Number.isInteger(max) || min < 64 || min > avg || max < avg) {
      throw new RangeError(`Chunk sizes need 64 <= min <= avg <= max, got ${min}, ${avg}, ${max}.`);
    }
    masks = { maskS: spreadMask(bits + NORMALIZATION_LEVEL), maskL: spreadMask(bits - NORMALIZATION_LEVEL) };
    masksBySizes.set(sizes, masks);
  }
  return masks;
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
  const { maskS, maskL } = masksFor(sizes);
  const { min, avg, max } = sizes;
  const available = end - chunkStart;
  const limit = Math.min(available, max);
  let h = state.hash;
  let i = state.pos;
  if (i < min) {
    i = min;
    h = 0;
  }
  let p = chunkStart + i;
  const normalEnd = chunkStart + Math.min(avg, limit);
  for (; p < normalEnd; p++) {
    h = ((h << 1) + gear[buf[p]!]!) | 0;
    if ((h & maskS) === 0) return p - chunkStart + 1;
  }
  const limitEnd = chunkStart + limit;
  for (; p < limitEnd; p++) {
    h = ((h << 1) + gear[buf[p]!]!) | 0;
    if ((h & maskL) === 0) return p - chunkStart + 1;
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
    masksFor(sizes);
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
