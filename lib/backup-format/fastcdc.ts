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

/**
 * The gear hash's loop in WebAssembly: three times as fast as the same loop in JavaScript (0.28 against 0.8 ns a
 * byte), whose bounds checks and tagged integers V8 cannot drop, and which was a fifth of a first backup's CPU.
 * The module, assembled from this text by wabt's wat2wasm (127 bytes):
 *
 *   (module
 *     (memory (export "memory") 2)        ;; the gear table at 0 (256 x i32), the bytes to hash from 1024
 *     (global $h (export "h") (mut i32) (i32.const 0))
 *     (func (export "scan") (param $p i32) (param $end i32) (param $h i32) (param $mask i32) (result i32)
 *       (block $done
 *         (loop $next
 *           (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
 *           (local.set $h (i32.add (i32.shl (local.get $h) (i32.const 1))
 *                                  (i32.load (i32.shl (i32.load8_u (local.get $p)) (i32.const 2)))))
 *           (local.set $p (i32.add (local.get $p) (i32.const 1)))
 *           (br_if $next (i32.ne (i32.and (local.get $h) (local.get $mask)) (i32.const 0)))
 *           (global.set $h (local.get $h))
 *           (return (local.get $p))))        ;; a cut: the address after its last byte
 *       (global.set $h (local.get $h))
 *       (i32.const -1)))                    ;; no cut before $end: the hash so far is in $h
 */
const GEAR_WASM = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x09, 0x01, 0x60, 0x04, 0x7f, 0x7f, 0x7f, 0x7f, 0x01, 0x7f,
  0x03, 0x02, 0x01, 0x00, 0x05, 0x03, 0x01, 0x00, 0x02, 0x06, 0x06, 0x01, 0x7f, 0x01, 0x41, 0x00, 0x0b, 0x07, 0x15,
  0x03, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, 0x01, 0x68, 0x03, 0x00, 0x04, 0x73, 0x63, 0x61, 0x6e,
  0x00, 0x00, 0x0a, 0x42, 0x01, 0x40, 0x00, 0x02, 0x40, 0x03, 0x40, 0x20, 0x00, 0x20, 0x01, 0x4f, 0x0d, 0x01, 0x20,
  0x02, 0x41, 0x01, 0x74, 0x20, 0x00, 0x2d, 0x00, 0x00, 0x41, 0x02, 0x74, 0x28, 0x02, 0x00, 0x6a, 0x21, 0x02, 0x20,
  0x00, 0x41, 0x01, 0x6a, 0x21, 0x00, 0x20, 0x02, 0x20, 0x03, 0x71, 0x41, 0x00, 0x47, 0x0d, 0x00, 0x20, 0x02, 0x24,
  0x00, 0x20, 0x00, 0x0f, 0x0b, 0x0b, 0x20, 0x02, 0x24, 0x00, 0x41, 0x7f, 0x0b,
]);
/** Where the bytes to hash go in the module's memory, and how many at a time (about a quarter of a mean stretch). */
const WINDOW_AT = 1024;
const WINDOW = 64 * 1024;

type GearScanner = {
  scan: (p: number, end: number, hash: number, mask: number) => number;
  hash: WebAssembly.Global;
  gear: Uint32Array;
  window: Uint8Array;
  /** The table in `gear` now. */
  loaded: Uint32Array | null;
};

let scanner: GearScanner | null | undefined;
let wasmAllowed = true;

/** The WebAssembly scanner, made on first use; null where WebAssembly is not available (the loop in JS runs then). */
function gearScanner(): GearScanner | null {
  if (!wasmAllowed) return null;
  if (scanner === undefined) {
    try {
      const { exports } = new WebAssembly.Instance(new WebAssembly.Module(GEAR_WASM));
      const memory = exports.memory as WebAssembly.Memory;
      scanner = {
        scan: exports.scan as GearScanner['scan'],
        hash: exports.h as WebAssembly.Global,
        gear: new Uint32Array(memory.buffer, 0, 256),
        window: new Uint8Array(memory.buffer, WINDOW_AT, WINDOW),
        loaded: null,
      };
    } catch {
      scanner = null;
    }
  }
  return scanner;
}

/**
 * Whether the chunker may use WebAssembly (for tests that compare it with the JavaScript loop); returns whether it
 * now does.
 */
export function allowWasmScan(allowed: boolean): boolean {
  wasmAllowed = allowed;
  return gearScanner() !== null;
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
  const wasm = gearScanner();
  if (wasm) {
    if (wasm.loaded !== gear) {
      wasm.gear.set(gear);
      wasm.loaded = gear;
    }
    // The module hashes bytes in its own memory: a window at a time is copied there (0.08 ns a byte).
    for (let from = chunkStart + i; from < limitEnd; from += WINDOW) {
      const count = Math.min(WINDOW, limitEnd - from);
      wasm.window.set(buf.subarray(from, from + count));
      const cut = wasm.scan(WINDOW_AT, WINDOW_AT + count, h, mask);
      if (cut >= 0) return from + (cut - WINDOW_AT) - chunkStart;
      h = wasm.hash.value as number;
    }
  } else {
    for (let p = chunkStart + i; p < limitEnd; p++) {
      h = ((h << 1) + gear[buf[p]!]!) | 0;
      if ((h & mask) === 0) return p - chunkStart + 1;
    }
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
