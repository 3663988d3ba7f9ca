import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readState } from '@/agent/state';
import { unregisterServer } from '@/lib/servers/servers';
import { vaultUsage } from '@/lib/vaults/usage';
import { registeredMachine } from '@/testing/backups';
import { type S3rver, startS3rver } from '@/testing/s3rver';
import { type TestServices, testServices } from '@/testing/services';
import { OBJECT_FRAME_HEADER } from '@/wire/protocol';
import { storedObjectIds } from './packs';
import { purgeKey } from './purge';
import { keyPrefix } from './store';

let s3rver: S3rver;
let svc: TestServices;
beforeAll(async () => {
  s3rver = await startS3rver();
  svc = await testServices({
    BACKUP_STORE: 's3://backups/portal',
    BACKUP_STORE_S3_ENDPOINT: s3rver.endpoint,
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
  });
});
afterAll(async () => {
  await svc?.close();
  await s3rver?.stop();
});

async function blobsUnder(prefix: string) {
  const found: number[] = [];
  for await (const blob of svc.store.list(prefix)) found.push(blob.size);
  return found;
}

describe('backups into an S3 bucket (s3rver on loopback)', () => {
  it('stores a backup in the bucket, only the change the second time, and removes it with its server', async () => {
    expect(svc.store.description).toBe('s3://backups/portal');
    const machine = await registeredMachine(svc);
    const folder = path.join(machine.work, 'data');
    await mkdir(folder);
    await writeFile(path.join(folder, 'big.bin'), randomBytes(3 * 1024 * 1024));
    await writeFile(path.join(folder, 'note.txt'), 'hello\n');
    expect((await machine.agent('protect', '--path', folder)).code).toBe(0);
    expect((await machine.agent('backup')).stdout.trim()).toBe('Backup completed.');

    const { keyId } = (await readState(machine.stateDir))!;
    const first = await blobsUnder(keyPrefix(keyId!));
    const firstIds = await storedObjectIds(svc.store, keyId!);
    const usage = await vaultUsage(svc.db, machine.vaultId);
    // The objects' sealed bytes, in packs that frame each with its id and length.
    expect(first.reduce((a, b) => a + b, 0)).toBe(usage.storageUsedBytes + firstIds.size * OBJECT_FRAME_HEADER);
    expect(usage.storageUsedBytes).toBeGreaterThan(3 * 1024 * 1024);

    await writeFile(path.join(folder, 'note.txt'), 'hello again\n');
    expect((await machine.agent('backup')).code).toBe(0);
    // The changed note and the changed root listing: two more objects, a few hundred bytes.
    const second = await blobsUnder(keyPrefix(keyId!));
    expect((await storedObjectIds(svc.store, keyId!)).size).toBe(firstIds.size + 2);
    expect(second.length).toBe(first.length + 1);
    expect((await machine.agent('points', '--path', folder)).stdout).toContain('2 recovery points');

    const { rows } = await svc.pool.query<{ id: string }>('select id from registered_servers where vault_id = $1', [
      machine.vaultId,
    ]);
    expect((await unregisterServer(svc, machine.user, { serverId: rows[0]!.id })).ok).toBe(true);
    expect(await purgeKey(svc, keyId!)).toBe(second.length);
    expect(await blobsUnder(keyPrefix(keyId!))).toEqual([]);
    await machine.remove();
  });
});
