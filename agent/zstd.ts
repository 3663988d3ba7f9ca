import { compressUsingDict, createCCtx, decompress, init } from '@bokuweb/zstd-wasm';

// zstd's fastest level: the bytes are encrypted and sent next, and restic's "auto" makes the same trade.
const LEVEL = 1;
const SAMPLE = 64 * 1024;
const NO_DICTIONARY = new Uint8Array(0);
let ready: Promise<void> | undefined;
// One compression context for the thread, reused: a context made per call (the package's `compress`) cost about a
// tenth of the compression time of a tree of small files in allocating and clearing its tables.
let context: number | undefined;

/**
 * zstd in WebAssembly. The package reads its .wasm from beside its own file, which a one-file bundle does not have:
 * scripts/build-agent.mjs embeds the bytes in its place.
 */
export function initZstd(): Promise<void> {
  ready ??= init();
  return ready;
}

/**
 * Compresses a chunk, or hands it back unchanged when a sample from its middle does not compress (media, archives,
 * encrypted files): the format then stores it raw, and the agent spends no time on a full pass that would not pay.
 */
export function zstdCompress(plain: Uint8Array): Uint8Array {
  if (plain.length > 4 * SAMPLE) {
    const start = Math.floor(plain.length / 2 - SAMPLE / 2);
    if (compress(plain.subarray(start, start + SAMPLE), LEVEL).length > SAMPLE * 0.95) return plain;
  }
  return compress(plain, LEVEL);
}

function compress(data: Uint8Array, level: number): Uint8Array {
  context ??= createCCtx();
  return compressUsingDict(context, data, NO_DICTIONARY, level);
}

export function zstdDecompress(data: Uint8Array): Uint8Array {
  return decompress(data);
}
