import { randomBytes } from 'node:crypto';
import { mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readState } from '@/agent/state';
import { stopProtection } from '@/lib/backups/portal';
import { collectGarbage } from '@/lib/backups/purge';
import { keyPrefix } from '@/lib/backups/store';
import type { BlobStore } from '@/lib/blob-store';
import { registeredMachine, routeFetch } from '@/testing/backups';
import { restoreRoutes } from '@/testing/restore';
import { type S3rver, startS3rver } from '@/testing/s3rver';
import { type TestServices, testServices } from '@/testing/services';
import { deleteDue, replicateDue } from './replicate';
import { replicationStatus, replicationText } from './status';
import { requestVerify, runVerifyStorage } from './verify';

// A folder as the primary store and an S3 bucket (s3rver on loopback) as the secondary: the same promises hold.

let s3rver: S3rver;
let svc: TestServices;
beforeAll(async () => {
  s3rver = await startS3rver();
  svc = await testServices({
    BACKUP_STORE_SECONDARY: 's3://backups/secondary',
    BACKUP_STORE_S3_ENDPOINT: s3rver.endpoint,
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
  });
});
afterAll(async () => {
  await svc?.close();
  await s3rver?.stop();
});

async function drain() {
  while ((await replicateDue(svc, svc.secondaryStore!)) + (await deleteDue(svc, svc.secondaryStore!)) > 0) {}
}

async function blobs(store: BlobStore, prefix: string) {
  const out = new Map<string, Buffer>();
  for await (const blob of store.list(prefix)) out.set(blob.key, Buffer.from((await store.get(blob.key))!));
  return out;
}

describe('replication from a folder to an S3 bucket', () => {
  it('copies the packs, repairs the primary from the bucket, restores, and deletes what garbage collection removes', async () => {
    expect(svc.secondaryStore!.description).toBe('s3://backups/secondary');
    const machine = await registeredMachine(svc, { fetch: routeFetch(restoreRoutes).fetch });
    const folder = path.join(machine.work, 'data');
    await mkdir(folder);
    const marker = `MARKER${randomBytes(6).toString('hex')}`;
    await writeFile(path.join(folder, 'big.bin'), randomBytes(10 * 1024 * 1024));
    await writeFile(path.join(folder, 'note.txt'), `${marker}\n`);
    expect((await machine.agent('protect', '--path', folder)).code).toBe(0);
    expect((await machine.agent('backup')).code).toBe(0);
    const { keyId } = (await readState(machine.stateDir))!;
    const vault = { id: machine.vaultId, storageReplication: 'GeoRedundant' as const };
    expect(replicationText(await replicationStatus(svc, vault))).toMatch(/^Behind by /);
    expect(replicationText(await replicationStatus({ ...svc, secondaryStore: null }, vault))).toBe(
      'No secondary store is configured on this portal.',
    );

    await drain();
    expect(replicationText(await replicationStatus(svc, vault))).toBe('Up to date');
    const primary = await blobs(svc.store, keyPrefix(keyId!));
    const copies = await blobs(svc.secondaryStore!, keyPrefix(keyId!));
    expect(primary.size).toBeGreaterThan(1);
    expect([...copies.keys()].sort()).toEqual([...primary.keys()].sort());
    for (const [key, bytes] of primary) expect(copies.get(key)!.equals(bytes)).toBe(true);
    for (const bytes of copies.values()) expect(bytes.includes(marker)).toBe(false);

    // A pack lost from the folder: VERIFY copies it back from the bucket, and the restore is whole.
    const lost = [...primary.keys()][0]!;
    await unlink(path.join(svc.env.dataDir, 'backups', lost));
    const { rows } = await svc.pool.query<{ id: string }>('select id from protected_items where path = $1', [folder]);
    const requested = await requestVerify(svc, machine.user, { itemId: rows[0]!.id });
    if (!requested.ok) throw new Error(requested.message);
    expect((await runVerifyStorage(svc, requested.data.operationId))!.repaired).toBe(1);
    expect(Buffer.from((await svc.store.get(lost))!).equals(primary.get(lost)!)).toBe(true);
    const target = path.join(machine.work, 'restored');
    expect((await machine.agent('recover', '--path', folder, '--target', target)).code).toBe(0);
    for (const name of ['big.bin', 'note.txt']) {
      expect((await readFile(path.join(target, name))).equals(await readFile(path.join(folder, name)))).toBe(true);
    }

    expect((await stopProtection(svc, machine.user, { itemId: rows[0]!.id, deleteData: true })).ok).toBe(true);
    expect((await collectGarbage(svc, keyId!, 0)).busy).toBe(false);
    await drain();
    expect((await blobs(svc.secondaryStore!, keyPrefix(keyId!))).size).toBe(0);
    await machine.remove();
  }, 60_000);
});
