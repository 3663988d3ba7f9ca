/** Deterministic pseudo-random bytes (xorshift32), so chunking tests see the same data on every run. */
export function pseudoRandomBytes(length: number, seed = 0x9e3779b9): Uint8Array {
  const words = new Uint32Array(Math.ceil(length / 4));
  let x = seed | 0 || 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x;
  }
  return new Uint8Array(words.buffer, 0, length);
}

/** A toy run-length compressor standing in for zstd: pairs of (run length, byte). */
export function rleCompress(plain: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < plain.length; ) {
    let run = 1;
    while (run < 255 && plain[i + run] === plain[i]) run++;
    out.push(run, plain[i]!);
    i += run;
  }
  return Uint8Array.from(out);
}

export function rleDecompress(data: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i + 1 < data.length; i += 2) for (let r = 0; r < data[i]!; r++) out.push(data[i + 1]!);
  return Uint8Array.from(out);
}
