/**
 * `npx tsx lib/backup-format/bench.ts [MiB]`: throughput of the chunker, of sealing and of opening on random data,
 * on one core. Random data is the worst case for the chunker (no early cut points) and is stored uncompressed.
 */

import { randomBytes, setCryptoBackend } from './crypto';
import { Chunker } from './fastcdc';
import { deriveVaultKeys, newVaultKey } from './keys';
import { objectId, openObject, sealObject } from './objects';

const mib = Number(globalThis.process?.argv[2] ?? 256);
const data = randomBytes(mib * 1024 * 1024);
const keys = await deriveVaultKeys(newVaultKey());
const rate = (bytes: number, ms: number) => `${((bytes / 1024 / 1024) * (1000 / ms)).toFixed(0)} MiB/s`;

for (let run = 0; run < 3; run++) {
  const started = performance.now();
  const chunker = new Chunker(keys.gear);
  let count = 0;
  for (let i = 0; i < data.length; i += 1024 * 1024) count += chunker.push(data.subarray(i, i + 1024 * 1024)).length;
  if (chunker.finish()) count++;
  console.log(`chunker: ${mib} MiB in ${count} chunks, ${rate(data.length, performance.now() - started)}`);
}

const chunks: Uint8Array[] = [];
const chunker = new Chunker(keys.gear);
for (let i = 0; i < data.length; i += 1024 * 1024) chunks.push(...chunker.push(data.subarray(i, i + 1024 * 1024)));
const last = chunker.finish();
if (last) chunks.push(last);

for (const backend of ['subtle', 'fallback'] as const) {
  setCryptoBackend(backend);
  const subset = backend === 'subtle' ? chunks : chunks.slice(0, Math.max(1, chunks.length >> 3));
  const bytes = subset.reduce((n, c) => n + c.length, 0);
  let started = performance.now();
  const sealed: { id: string; bytes: Uint8Array }[] = [];
  for (const chunk of subset) {
    const id = await objectId(keys, chunk);
    sealed.push({ id, bytes: await sealObject(keys, id, chunk) });
  }
  console.log(`${backend}: id + seal ${rate(bytes, performance.now() - started)}`);
  started = performance.now();
  for (const { id, bytes: s } of sealed) await openObject(keys, id, s, (d) => d);
  console.log(`${backend}: open + verify ${rate(bytes, performance.now() - started)}`);
}
