import { compress, decompress, init } from '@bokuweb/zstd-wasm';

// zstd's fastest level: the bytes are encrypted and sent next, and restic's "auto" makes the same trade.
const LEVEL = 1;
let ready: Promise<void> | undefined;

/**
 * zstd in WebAssembly. The package reads its .wasm from beside its own file, which a one-file bundle does not have:
 * scripts/build-agent.mjs embeds the bytes in its place.
 */
export function initZstd(): Promise<void> {
  ready ??= init();
  return ready;
}

export function zstdCompress(plain: Uint8Array): Uint8Array {
  return compress(plain, LEVEL);
}

export function zstdDecompress(data: Uint8Array): Uint8Array {
  return decompress(data);
}
