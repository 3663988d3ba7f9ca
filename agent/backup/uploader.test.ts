import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { deriveVaultKeys, objectId, openObject, type VaultKeys } from '@/lib/backup-format';
import { readFrame } from '@/wire/frame';
import { initZstd, zstdDecompress } from '../zstd';
import { BATCH_BYTES, Uploader } from './uploader';

describe('the uploader', () => {
  let keys: VaultKeys;
  beforeAll(async () => {
    await initZstd();
    keys = await deriveVaultKeys(randomBytes(32));
  });

  it('sends every object once, sealed, as it was added, though its batch arena serves the batches after it', async () => {
    // Uploads that answer late, so that several batches are on their way while later ones fill (and reuse arenas).
    const received = new Map<string, Uint8Array>();
    const stored = new Set<string>();
    const uploader = new Uploader(keys, {
      async missing(ids) {
        await sleep(2);
        return { missing: ids.filter((id) => !stored.has(id)) };
      },
      async objects(parts) {
        const body = Buffer.concat(parts);
        await sleep(15);
        for (let offset = 0; offset < body.length; ) {
          const frame = readFrame(body, offset);
          if (!frame) throw new Error('a frame cut short');
          expect(received.has(frame.id)).toBe(false);
          received.set(frame.id, Uint8Array.from(frame.data));
          stored.add(frame.id);
          offset = frame.next;
        }
        return { stored: 0, bytes: body.length };
      },
    });
    const originals = new Map<string, Buffer>();
    // Small objects (into arenas), some compressible, and a few large ones (kept as they are) among them: several
    // batches' worth. Each caller's buffer is overwritten once add returns, as a reused read buffer is.
    const reused = Buffer.alloc(2 * 1024 * 1024);
    let total = 0;
    for (let i = 0; total < 3 * BATCH_BYTES; i++) {
      const size = i % 97 === 0 ? 1024 * 1024 + 1 + (i % 5) * 1000 : 1 + ((i * 7919) % 30_000);
      const bytes = i % 3 === 0 ? Buffer.alloc(size, i % 251) : randomBytes(size);
      bytes.copy(reused);
      const view = reused.subarray(0, size);
      const id = await objectId(keys, view);
      originals.set(id, bytes);
      await uploader.add(id, view, { borrowed: true });
      reused.fill(0xee);
      total += size;
    }
    // An object added twice is sent once.
    const [firstId, first] = [...originals][0]!;
    await uploader.add(firstId, first);
    await uploader.finish();

    expect(received.size).toBe(originals.size);
    expect(uploader.referenced.size).toBe(originals.size);
    for (const [id, bytes] of originals) {
      const sealed = received.get(id);
      expect(sealed, id).toBeDefined();
      const opened = await openObject(keys, id, sealed!, zstdDecompress);
      expect(Buffer.compare(Buffer.from(opened), bytes), id).toBe(0);
    }
  });
});
