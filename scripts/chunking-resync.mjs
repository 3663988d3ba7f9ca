/**
 * `node scripts/chunking-resync.mjs [TRIALS]`: what a change costs under different ways of cutting chunks, the table in
 * docs/backup-format.md ("Why these sizes"). A 100 MiB random file is cut with a fresh random gear table per trial, then
 * changed as bench:backup changes its data set (six 64 KiB overwrites, two rewritten 4.9 MiB regions) one change at a
 * time; the chunks that are new after each change are what a backup sends. Prints, per way of cutting, the mean chunk
 * size and the MiB re-sent (mean, 90th percentile, worst). Takes a few minutes of one core for 60 trials.
 *
 * The cut rule is the agent's (lib/backup-format/fastcdc.ts), with FastCDC's normalized variant added for comparison:
 * before `normal` bytes a cut needs `bitsS` mask bits, after it `bitsL`; `normal == min` is the agent's one-mask rule.
 */
import { randomBytes, randomInt } from 'node:crypto';

const KiB = 1024;
const MiB = 1024 * KiB;
const FILE = 100 * MiB;
const TRIALS = Number(process.argv[2] ?? 60);

const WAYS = {
  'normalized, min 512 KiB, avg 1 MiB': [512 * KiB, MiB, 22, 18],
  'one mask, min 512 KiB, avg 1 MiB': [512 * KiB, 512 * KiB, 22, 19],
  'one mask, min 512 KiB, avg 768 KiB': [512 * KiB, 512 * KiB, 22, 18],
  'one mask, min 384 KiB, avg 640 KiB': [384 * KiB, 384 * KiB, 22, 18],
  'one mask, min 256 KiB, avg 512 KiB': [256 * KiB, 256 * KiB, 22, 18],
};

function spreadMask(bits) {
  const span = Math.max(bits, 24);
  let mask = 0;
  for (let k = 0; k < bits; k++) mask |= 1 << (31 - Math.floor((k * span) / bits));
  return mask;
}

function cutter(min, normal, bitsS, bitsL, max = 8 * MiB) {
  const maskS = spreadMask(bitsS);
  const maskL = spreadMask(bitsL);
  return (gear, buf, start) => {
    const limit = Math.min(buf.length - start, max);
    if (limit <= min) return limit;
    let h = 0;
    let p = start + min;
    for (const end = start + Math.min(normal, limit); p < end; p++) {
      h = ((h << 1) + gear[buf[p]]) | 0;
      if ((h & maskS) === 0) return p - start + 1;
    }
    for (const end = start + limit; p < end; p++) {
      h = ((h << 1) + gear[buf[p]]) | 0;
      if ((h & maskL) === 0) return p - start + 1;
    }
    return limit;
  };
}

const original = new Uint8Array(randomBytes(FILE));
const fmt = (n) => n.toFixed(2);
for (const [name, params] of Object.entries(WAYS)) {
  const cut = cutter(...params);
  const resent = [];
  let chunkMean = 0;
  for (let trial = 0; trial < TRIALS; trial++) {
    const gear = new Uint32Array(randomBytes(1024).buffer);
    const bounds = [0];
    for (let at = 0; at < FILE; ) {
      at += cut(gear, original, at);
      bounds.push(at);
    }
    const old = new Set(bounds);
    chunkMean += FILE / (bounds.length - 1) / TRIALS;
    const changes = [
      ...Array.from({ length: 6 }, () => [randomInt(FILE - 64 * KiB), 64 * KiB]),
      ...Array.from({ length: 2 }, () => [randomInt(FILE - 5 * MiB), Math.round(4.9 * MiB)]),
    ];
    let sent = 0;
    for (const [offset, length] of changes) {
      const changed = original.slice();
      changed.set(randomBytes(length), offset);
      // From the start of the chunk the change falls in, until a cut lands on an old cut past the change.
      let k = 0;
      while (bounds[k + 1] <= offset) k++;
      for (let at = bounds[k]; ; ) {
        const piece = cut(gear, changed, at);
        sent += piece;
        at += piece;
        if (at >= FILE || (at > offset + length && old.has(at))) break;
      }
    }
    resent.push(sent / MiB);
  }
  resent.sort((a, b) => a - b);
  const mean = resent.reduce((a, b) => a + b, 0) / resent.length;
  console.log(
    `${name.padEnd(38)} mean chunk ${fmt(chunkMean / MiB)} MiB; re-sent mean ${fmt(mean)}, ` +
      `90th percentile ${fmt(resent[Math.floor(resent.length * 0.9)])}, worst ${fmt(resent.at(-1))} MiB`,
  );
}
