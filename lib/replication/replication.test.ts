import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readState } from '@/agent/state';
import type { PortalUser } from '@/lib/auth/users';
import { listProtectedItems, stopProtection } from '@/lib/backups/portal';
import { collectGarbage, purgeKey } from '@/lib/backups/purge';
import { keyPrefix } from '@/lib/backups/store';
import type { BlobStore } from '@/lib/blob-store';
import { pointObject } from '@/lib/restore/browse';
import { unregisterServer } from '@/lib/servers/servers';
import { createVault } from '@/lib/vaults/create';
import { serveAgentData } from '@/server/http/agent-data';
import { type Machine, registeredMachine, routeFetch } from '@/testing/backups';
import { restoreRoutes } from '@/testing/restore';
import { createTestUser, type TestServices, testServices } from '@/testing/services';
import { deleteDue, LEASE_SECONDS, replicateDue, startReplication } from './replicate';
import { replicationStatus, replicationText } from './status';
import { queueWeeklyVerifies, requestVerify, runVerifyStorage } from './verify';

// Geo-redundant storage end to end: the real agent backs up into the primary folder store, the replication copies
// Geo-Redundant vaults' packs to a second folder store, garbage collection's deletions follow, verify repairs and
// reports damage, and restores read from the secondary when the primary lacks a pack.

let svc: TestServices;
let secondaryRoot: string;
let server: Server;
let base = '';

beforeAll(async () => {
  secondaryRoot = await mkdtemp(path.join(os.tmpdir(), 'portal-secondary-'));
  svc = await testServices({ BACKUP_STORE_SECONDARY: `file://${secondaryRoot}` });
  // The portal's own fast data path (uploads and restore reads), with the process's whole services.
  server = createServer((req, res) => {
    if (!serveAgentData(req, res, () => svc)) res.writeHead(404).end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server?.close();
  await svc?.close();
  await rm(secondaryRoot, { recursive: true, force: true });
});
afterEach(() => svc.clock.setOffset(0));

const MiB = 1024 * 1024;
const secondary = () => svc.secondaryStore!;

const BULK = /^\/api\/agent\/(backups\/[^/]+\/(objects|missing)|restores\/[^/]+\/objects)$/;
/** The agent's bulk calls over real HTTP to the fast path; the rest to the route handlers. */
const fastPathFetch = () =>
  routeFetch(async (request) => {
    const { pathname } = new URL(request.url);
    if (!BULK.test(pathname)) return restoreRoutes(request);
    return fetch(`${base}${pathname}`, { method: 'POST', headers: request.headers, body: await request.arrayBuffer() });
  }).fetch;

/** Copies and deletions until nothing is due. */
async function drain(store: BlobStore = secondary()) {
  while ((await replicateDue(svc, store)) + (await deleteDue(svc, store)) > 0) {}
}

async function until(check: () => Promise<boolean>, ms: number, what: string) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function vaultOf(vaultId: string) {
  const { rows } = await svc.pool.query<{ storage_replication: 'GeoRedundant' | 'LocallyRedundant' }>(
    'select storage_replication from vaults where id = $1',
    [vaultId],
  );
  return { id: vaultId, storageReplication: rows[0]!.storage_replication };
}

async function lag(vaultId: string) {
  return replicationText(await replicationStatus(svc, await vaultOf(vaultId)));
}

async function packsOf(keyId: string) {
  const { rows } = await svc.pool.query<{ pack_id: string; size: number; sha256: string; replicated: boolean }>(
    `select pack_id, size, sha256, replicated_at is not null as replicated from backup_packs where key_id = $1
     order by stored_at, pack_id`,
    [keyId],
  );
  return rows;
}

async function blobs(store: BlobStore, prefix: string) {
  const out = new Map<string, Uint8Array>();
  for await (const blob of store.list(prefix)) out.set(blob.key, (await store.get(blob.key))!);
  return out;
}

/** A machine with one protected folder of several packs' worth of random data, backed up once. */
async function backedUp(options: { vaultId?: string; user?: PortalUser } = {}) {
  const machine = await registeredMachine(svc, { ...options, fetch: fastPathFetch() });
  const folder = path.join(machine.work, 'data');
  await mkdir(folder, { recursive: true });
  const marker = `MARKER${randomBytes(6).toString('hex')}`;
  for (let i = 0; i < 3; i++) await writeFile(path.join(folder, `big-${i}.bin`), randomBytes(6 * MiB));
  await writeFile(path.join(folder, `${marker}.txt`), `${marker}\n`.repeat(100));
  expect((await machine.agent('protect', '--path', folder)).code).toBe(0);
  const backup = await machine.agent('backup');
  expect(backup.stderr).toBe('');
  expect(backup.code).toBe(0);
  const { keyId } = (await readState(machine.stateDir))!;
  const { rows } = await svc.pool.query<{ id: string }>('select id from protected_items where path = $1', [folder]);
  return { machine, folder, marker, keyId: keyId!, itemId: rows[0]!.id };
}

async function restoreOf(machine: Machine, folder: string) {
  const target = path.join(machine.work, `restored-${randomBytes(3).toString('hex')}`);
  const result = await machine.agent('recover', '--path', folder, '--target', target);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return target;
}

async function sameFiles(a: string, b: string) {
  const names = (await readdir(a)).sort();
  expect((await readdir(b)).sort()).toEqual(names);
  for (const name of names)
    expect((await readFile(path.join(b, name))).equals(await readFile(path.join(a, name)))).toBe(true);
}

/** The store with its put replaced. */
function withPut(store: BlobStore, put: BlobStore['put']): BlobStore {
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'put') return put;
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

const packFile = (root: string, key: string) => path.join(root, key);

async function verify(user: Machine['user'], itemId: string) {
  const requested = await requestVerify(svc, user, { itemId });
  if (!requested.ok) throw new Error(requested.message);
  const outcome = await runVerifyStorage(svc, requested.data.operationId);
  const { rows } = await svc.pool.query<{ status: string; message: string; kind: string }>(
    'select kind, status, message from operations where id = $1',
    [requested.data.operationId],
  );
  return { outcome: outcome!, job: rows[0]! };
}

describe('replication to a second folder store', () => {
  let f: Awaited<ReturnType<typeof backedUp>>;
  beforeAll(async () => {
    f = await backedUp();
  });
  afterAll(() => f.machine.remove());

  it('records each pack with its SHA-256, shows the lag, and copies every pack of a Geo-Redundant vault', async () => {
    const packs = await packsOf(f.keyId);
    expect(packs.length).toBeGreaterThan(1);
    expect(packs.every((p) => /^[0-9a-f]{64}$/.test(p.sha256) && !p.replicated)).toBe(true);
    const behind = await lag(f.machine.vaultId);
    expect(behind).toMatch(/^Behind by [\d.]+ MB \(oldest \d+ seconds? ago\)$/);

    await drain();
    expect(await lag(f.machine.vaultId)).toBe('Up to date');
    const primary = await blobs(svc.store, keyPrefix(f.keyId));
    const copies = await blobs(secondary(), keyPrefix(f.keyId));
    expect([...copies.keys()].sort()).toEqual([...primary.keys()].sort());
    for (const [key, bytes] of primary) expect(Buffer.from(copies.get(key)!).equals(Buffer.from(bytes))).toBe(true);
    // Nothing in clear in the secondary store either.
    for (const bytes of copies.values()) expect(Buffer.from(bytes).includes(f.marker)).toBe(false);
  });

  it('keeps a pack that was being copied when its worker died due, and copies it once the lease runs out', async () => {
    await writeFile(path.join(f.folder, 'new.bin'), randomBytes(MiB));
    expect((await f.machine.agent('backup')).code).toBe(0);
    // A copy that never finishes: the worker "dies" with the row claimed.
    const hanging = withPut(secondary(), () => new Promise<void>(() => {}));
    void replicateDue(svc, hanging);
    await until(
      async () =>
        (
          await svc.pool.query(
            `select 1 from backup_packs where key_id = $1 and replication_attempts > 0 and replicated_at is null`,
            [f.keyId],
          )
        ).rows.length > 0,
      5000,
      'the claim',
    );
    // Within the lease nothing else takes it; after it, any worker does.
    expect(await replicateDue(svc, secondary())).toBe(0);
    expect(await lag(f.machine.vaultId)).toMatch(/^Behind by /);
    await svc.clock.setOffset((LEASE_SECONDS + 1) * 1000);
    await drain();
    expect(await lag(f.machine.vaultId)).toBe('Up to date');
  });

  it('repairs a corrupted primary pack from the secondary, and a restore after it is byte-identical', async () => {
    await drain();
    const [pack] = await packsOf(f.keyId);
    const key = `${keyPrefix(f.keyId)}packs/${pack!.pack_id}`;
    const file = packFile(path.join(svc.env.dataDir, 'backups'), key);
    const bytes = await readFile(file);
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    await writeFile(file, bytes);

    const { outcome, job } = await verify(f.machine.user, f.itemId);
    expect(outcome.repaired).toBe(1);
    expect(outcome.damaged).toEqual([]);
    expect(job).toMatchObject({ kind: 'VerifyStorage', status: 'Succeeded' });
    expect(job.message).toMatch(
      /^The backup data of '.*' on 'FILESERVER01' was verified: \d+ packs \(.*\), each whole in every store that holds it \(1 pack repaired from the secondary store\)\.$/,
    );
    expect(Buffer.from(await readFile(file)).equals(Buffer.from((await secondary().get(key))!))).toBe(true);
    await sameFiles(f.folder, await restoreOf(f.machine, f.folder));
  });

  it('copies a secondary copy that went missing again from the whole primary', async () => {
    await drain();
    const [pack] = await packsOf(f.keyId);
    await unlink(packFile(secondaryRoot, `${keyPrefix(f.keyId)}packs/${pack!.pack_id}`));
    const { outcome, job } = await verify(f.machine.user, f.itemId);
    expect(outcome.requeued).toBe(1);
    expect(job.status).toBe('Succeeded');
    expect(await lag(f.machine.vaultId)).toMatch(/^Behind by /);
    await drain();
    expect(await secondary().has(`${keyPrefix(f.keyId)}packs/${pack!.pack_id}`)).toBe(true);
  });

  it('restores through the fast path from the secondary when the primary pack file is deleted', async () => {
    await drain();
    const packs = await packsOf(f.keyId);
    for (const p of packs.slice(0, 2)) {
      await unlink(packFile(path.join(svc.env.dataDir, 'backups'), `${keyPrefix(f.keyId)}packs/${p.pack_id}`));
    }
    // The secondary store, counting its reads.
    const real = secondary();
    let reads = 0;
    svc.secondaryStore = new Proxy(real, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        if (typeof value !== 'function') return value;
        if (String(prop).startsWith('read') || prop === 'get') reads += 1;
        return value.bind(target);
      },
    });
    try {
      await sameFiles(f.folder, await restoreOf(f.machine, f.folder));
    } finally {
      svc.secondaryStore = real;
    }
    expect(reads).toBeGreaterThan(0);
    // The recovery-point browser's reads too.
    const { rows } = await svc.pool.query<{ point_id: string; object_id: string }>(
      `select r.point_id, r.object_id from recovery_point_objects r
       join backup_objects o on o.key_id = r.key_id and o.id = r.object_id
       where o.key_id = $1 and o.pack_id = $2 limit 1`,
      [f.keyId, packs[0]!.pack_id],
    );
    const object = await pointObject(svc, f.machine.vaultId, f.itemId, rows[0]!.point_id, rows[0]!.object_id);
    expect(object?.length).toBeGreaterThan(0);
  });

  it('verifies packs stored before their rows existed by their presence', async () => {
    await drain();
    const [pack] = await packsOf(f.keyId);
    await svc.pool.query('delete from backup_packs where key_id = $1 and pack_id = $2', [f.keyId, pack!.pack_id]);
    const { outcome, job } = await verify(f.machine.user, f.itemId);
    expect(job.status).toBe('Succeeded');
    expect(outcome.damaged).toEqual([]);
  });

  it('refuses VERIFY to a Reader', async () => {
    const reader = await createTestUser(svc, { role: 'Reader', subscriptions: f.machine.user.subscriptions });
    const refused = await requestVerify(svc, reader, { itemId: f.itemId });
    expect(refused.ok).toBe(false);
  });
});

describe('damage no store can repair', () => {
  it('calls a verification that could not read the secondary unfinished, not damage', async () => {
    const f = await backedUp();
    await drain();
    const [pack] = await packsOf(f.keyId);
    await unlink(packFile(path.join(svc.env.dataDir, 'backups'), `${keyPrefix(f.keyId)}packs/${pack!.pack_id}`));
    const real = secondary();
    svc.secondaryStore = new Proxy(real, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        if (typeof value !== 'function') return value;
        return async () => Promise.reject(new Error('connect ECONNREFUSED'));
      },
    });
    let result: Awaited<ReturnType<typeof verify>>;
    try {
      result = await verify(f.machine.user, f.itemId);
    } finally {
      svc.secondaryStore = real;
    }
    expect(result.job.status).toBe('Failed');
    expect(result.job.message).toMatch(/could not read every pack: .*ECONNREFUSED/);
    expect(result.outcome.damaged).toEqual([]);
    expect((await listProtectedItems(svc.db, f.machine.vaultId))[0]!.damaged).toBe(false);
    // Once it answers, the pack is repaired.
    expect((await verify(f.machine.user, f.itemId)).outcome.repaired).toBe(1);
    await f.machine.remove();
  });

  it('marks the item Damaged and raises a Critical "Backup data damaged" alert; a later whole verify clears it', async () => {
    const f = await backedUp();
    await drain();
    const [pack] = await packsOf(f.keyId);
    const key = `${keyPrefix(f.keyId)}packs/${pack!.pack_id}`;
    const saved = await readFile(packFile(secondaryRoot, key));
    for (const root of [path.join(svc.env.dataDir, 'backups'), secondaryRoot]) {
      const bytes = Buffer.from(saved);
      bytes[10]! ^= 0x01;
      await writeFile(packFile(root, key), bytes);
    }
    const { outcome, job } = await verify(f.machine.user, f.itemId);
    expect(outcome.damaged.length).toBe(1);
    expect(job.status).toBe('Failed');
    expect(job.message).toMatch(
      /^The backup data of '.*' is damaged: 1 pack of \d+ packs \(.*\) is missing or damaged in every store, needed by 1 recovery point\.$/,
    );
    const [item] = await listProtectedItems(svc.db, f.machine.vaultId);
    expect(item!.damaged).toBe(true);
    const { rows: alerts } = await svc.pool.query(
      `select kind, severity, status, job_id from alerts where item_id = $1`,
      [f.itemId],
    );
    expect(alerts).toEqual([
      { kind: 'BackupDataDamaged', severity: 'Critical', status: 'Active', job_id: expect.any(String) },
    ]);

    // The pack put back whole (say, from another copy): the next verification clears the mark.
    await writeFile(packFile(path.join(svc.env.dataDir, 'backups'), key), saved);
    await writeFile(packFile(secondaryRoot, key), saved);
    expect((await verify(f.machine.user, f.itemId)).job.status).toBe('Succeeded');
    expect((await listProtectedItems(svc.db, f.machine.vaultId))[0]!.damaged).toBe(false);
    await f.machine.remove();
  });
});

describe('what is not replicated, and what follows', () => {
  it('keeps one copy of a Locally Redundant vault', async () => {
    const user = await createTestUser(svc);
    const created = await createVault(svc, user, { name: `lrs-${randomBytes(3).toString('hex')}`, region: 'westus' });
    if (!created.ok) throw new Error(created.message);
    await svc.pool.query(
      `update vaults set status = 'Active', storage_replication = 'LocallyRedundant' where id = $1`,
      [created.data.vaultId],
    );
    const f = await backedUp({ user, vaultId: created.data.vaultId });
    expect((await packsOf(f.keyId)).length).toBeGreaterThan(0);
    await drain();
    expect([...(await blobs(secondary(), keyPrefix(f.keyId))).keys()]).toEqual([]);
    expect(await lag(f.machine.vaultId)).toBe('Not replicated (Locally Redundant)');
    await f.machine.remove();
  });

  it('deletes the secondary copies of the packs garbage collection removes', async () => {
    const f = await backedUp();
    await drain();
    expect((await blobs(secondary(), keyPrefix(f.keyId))).size).toBeGreaterThan(1);
    expect((await stopProtection(svc, f.machine.user, { itemId: f.itemId, deleteData: true })).ok).toBe(true);
    const collected = await collectGarbage(svc, f.keyId, 0);
    expect(collected.busy).toBe(false);
    expect([...(await blobs(svc.store, keyPrefix(f.keyId))).keys()]).toEqual([]);
    const { rows } = await svc.pool.query('select 1 from pack_deletions where key_id = $1', [f.keyId]);
    expect(rows.length).toBeGreaterThan(1);
    await drain();
    expect([...(await blobs(secondary(), keyPrefix(f.keyId))).keys()]).toEqual([]);
    expect((await svc.pool.query('select 1 from pack_deletions where key_id = $1', [f.keyId])).rows).toEqual([]);
    await f.machine.remove();
  });

  it('copies the pack garbage collection rewrites, and deletes the copy of the pack it replaces', async () => {
    const machine = await registeredMachine(svc, { fetch: fastPathFetch() });
    const folder = path.join(machine.work, 'data');
    await mkdir(folder);
    await writeFile(path.join(folder, 'kept.txt'), randomBytes(4096).toString('hex'));
    await writeFile(path.join(folder, 'dropped.txt'), randomBytes(4096).toString('hex'));
    expect((await machine.agent('protect', '--path', folder)).code).toBe(0);
    expect((await machine.agent('backup')).code).toBe(0);
    await unlink(path.join(folder, 'dropped.txt'));
    expect((await machine.agent('backup')).code).toBe(0);
    const { keyId } = (await readState(machine.stateDir))!;
    await drain();
    const before = new Set((await packsOf(keyId!)).map((p) => p.pack_id));
    // The first point goes (as retention would take it): its pack holds live and dead objects, and is rewritten.
    await svc.pool.query(
      `delete from recovery_points where id = (select id from recovery_points where key_id = $1 order by taken_at limit 1)`,
      [keyId],
    );
    expect((await collectGarbage(svc, keyId!, 0)).busy).toBe(false);
    const after = await packsOf(keyId!);
    expect(after.some((p) => !before.has(p.pack_id))).toBe(true);
    expect(await lag(machine.vaultId)).toMatch(/^Behind by /);
    await drain();
    expect(await lag(machine.vaultId)).toBe('Up to date');
    const primary = await blobs(svc.store, keyPrefix(keyId!));
    const copies = await blobs(secondary(), keyPrefix(keyId!));
    expect([...copies.keys()].sort()).toEqual([...primary.keys()].sort());
    for (const [key, bytes] of primary) expect(Buffer.from(copies.get(key)!).equals(Buffer.from(bytes))).toBe(true);
    await sameFiles(folder, await restoreOf(machine, folder));
    await machine.remove();
  });

  it('removes a deleted key’s copies from the secondary store, later when it does not answer at the time', async () => {
    const f = await backedUp();
    await drain();
    const { rows } = await svc.pool.query<{ id: string }>('select id from registered_servers where vault_id = $1', [
      f.machine.vaultId,
    ]);
    expect((await unregisterServer(svc, f.machine.user, { serverId: rows[0]!.id })).ok).toBe(true);
    const real = secondary();
    svc.secondaryStore = new Proxy(real, {
      get(target, prop) {
        if (prop === 'deletePrefix') return async () => Promise.reject(new Error('connect ECONNREFUSED'));
        const value = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    try {
      await purgeKey(svc, f.keyId);
    } finally {
      svc.secondaryStore = real;
    }
    expect([...(await blobs(svc.store, keyPrefix(f.keyId))).keys()]).toEqual([]);
    expect((await blobs(real, keyPrefix(f.keyId))).size).toBeGreaterThan(1);
    await drain();
    expect([...(await blobs(real, keyPrefix(f.keyId))).keys()]).toEqual([]);
    expect((await svc.pool.query('select 1 from pack_deletions where key_id = $1', [f.keyId])).rows).toEqual([]);
    await f.machine.remove();
  });

  it('queues each vault’s weekly verification once, on the portal clock', async () => {
    await svc.clock.setOffset(8 * 86_400_000);
    const first = await queueWeeklyVerifies(svc);
    expect(first.length).toBeGreaterThan(0);
    expect(await queueWeeklyVerifies(svc)).toEqual([]);
    const outcome = await runVerifyStorage(svc, first[0]!);
    expect(outcome).not.toBeNull();
    const { rows } = await svc.pool.query('select kind, status, item_id from operations where id = $1', [first[0]]);
    expect(rows[0]).toMatchObject({ kind: 'VerifyStorage', item_id: null });
  });

  it('retries a secondary store that fails mid-replication until it answers: the lag returns to 0', async () => {
    const real = secondary();
    let puts = 0;
    let failing = true;
    const flaky = withPut(real, async (key, data) => {
      puts += 1;
      // One copy lands, then the store stops answering.
      if (failing && puts > 1) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      return real.put(key, data);
    });
    svc.secondaryStore = flaky;
    const stop = startReplication(svc, { pollMs: 100 });
    try {
      const f = await backedUp();
      await until(
        async () =>
          (
            await svc.pool.query(`select 1 from backup_packs where key_id = $1 and replication_error is not null`, [
              f.keyId,
            ])
          ).rows.length > 0,
        10_000,
        'a failed copy',
      );
      expect(await lag(f.machine.vaultId)).toMatch(/^Behind by /);
      failing = false;
      await until(async () => (await lag(f.machine.vaultId)) === 'Up to date', 30_000, 'the lag to return to 0');
      const primary = await blobs(svc.store, keyPrefix(f.keyId));
      expect((await blobs(real, keyPrefix(f.keyId))).size).toBe(primary.size);
      await f.machine.remove();
    } finally {
      await stop();
      svc.secondaryStore = real;
    }
  }, 60_000);
});
