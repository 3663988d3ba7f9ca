import { randomBytes, randomUUID } from 'node:crypto';
import { utimes } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readState } from '@/agent/state';
import type { BlobStore } from '@/lib/blob-store';
import type { AuthenticatedMachine } from '@/lib/registration/machine';
import { readObjectFrames } from '@/lib/restore/object-reads';
import { registeredMachine } from '@/testing/backups';
import { type TestServices, testServices } from '@/testing/services';
import { OBJECT_FRAME_HEADER } from '@/wire/protocol';
import { readObject, storedObjectIds } from './packs';
import { collectGarbage } from './purge';
import { authenticateSession, commitBackup, findMissing, startBackup, storeObjects } from './sessions';
import { keyPrefix, objectBlobKey } from './store';

// Garbage collection against backups running at the same time, on the real database (PostgreSQL when DATABASE_URL
// is set, as in CI) and the folder blob store: GC must never delete an object that a committed point or a running
// backup needs, in particular one a running backup was told is "already stored".

let svc: TestServices;
beforeAll(async () => {
  svc = await testServices();
});
afterAll(() => svc.close());

const objectId = () => randomBytes(32).toString('hex');
const sealed = () => randomBytes(64 + Math.floor(Math.random() * 200));

/** A registered machine with one protected folder, seen from the server's side: what the backup routes get. */
async function machineWithItem() {
  const machine = await registeredMachine(svc);
  const folder = `${machine.work}/data`;
  const { rows } = await svc.pool.query<{ id: string }>(
    `insert into protected_items (vault_id, server_id, path)
     select vault_id, id, $2 from registered_servers where vault_id = $1 returning id`,
    [machine.vaultId, folder],
  );
  const { keyId } = (await readState(machine.stateDir))!;
  const { rows: servers } = await svc.pool.query(
    `select s.id, s.name, s.machine_public_key as "publicKeyPem", s.created_at as "createdAt", v.id as "vaultId",
       v.name as "vaultName", v.subscription_id as "subscriptionId"
     from registered_servers s join vaults v on v.id = s.vault_id where v.id = $1`,
    [machine.vaultId],
  );
  return { machine, folder, itemId: rows[0]!.id, keyId: keyId!, server: servers[0] as AuthenticatedMachine };
}

type Fixture = Awaited<ReturnType<typeof machineWithItem>>;

async function start(f: Fixture) {
  const started = await startBackup(svc, f.server, { path: f.folder, keyId: f.keyId, filesTotal: 1, bytesTotal: 1 });
  return authenticateSession(svc, started.sessionId, `Bearer ${started.token}`);
}

function upload(ids: string[]): Request {
  const frames = ids.map((id) => {
    const data = sealed();
    const frame = Buffer.alloc(OBJECT_FRAME_HEADER + data.length);
    Buffer.from(id, 'hex').copy(frame, 0);
    frame.writeUInt32BE(data.length, 32);
    data.copy(frame, OBJECT_FRAME_HEADER);
    return frame;
  });
  return new Request('http://portal.test/objects', { method: 'POST', body: Buffer.concat(frames) });
}

/**
 * A backup of the key (`session`, or a new one) that commits a point of exactly these objects (as retention would
 * keep one).
 */
async function commitPoint(f: Fixture, ids: string[], session?: Awaited<ReturnType<typeof start>>) {
  return commitBackup(svc, session ?? (await start(f)), {
    rootId: ids[0],
    objectIds: ids,
    files: 1,
    folders: 1,
    bytes: 1,
    dataTransferred: 0,
  });
}

/** An object's sealed bytes, read from where its index row says they are. */
async function storedBytes(f: Fixture, id: string): Promise<Buffer> {
  const { rows } = await svc.pool.query<{ size: number; pack_id: string | null; pack_offset: number | null }>(
    'select size, pack_id, pack_offset from backup_objects where key_id = $1 and id = $2',
    [f.keyId, id],
  );
  const row = rows[0]!;
  const place = { size: row.size, packId: row.pack_id, packOffset: row.pack_offset };
  return Buffer.from((await readObject(svc.store, f.keyId, id, place))!);
}

/** Stored objects no point needs, old enough that any grace period has passed. */
async function unreferencedObjects(f: Fixture, count: number): Promise<string[]> {
  const session = await start(f);
  const ids = Array.from({ length: count }, objectId);
  await storeObjects(svc, session, upload(ids));
  await svc.pool.query(`update backup_sessions set running = false where id = $1`, [session.id]);
  await svc.pool.query(
    `update backup_objects set created_at = now() - interval '30 days' where key_id = $1 and id = any($2)`,
    [f.keyId, ids],
  );
  return ids;
}

/** Every object every committed point of the key needs is in the index and in the blob store. */
async function expectPointsWhole(keyId: string) {
  const { rows } = await svc.pool.query<{ object_id: string; indexed: boolean }>(
    `select r.object_id, exists (select 1 from backup_objects o where o.key_id = r.key_id and o.id = r.object_id) as indexed
     from recovery_point_objects r where r.key_id = $1`,
    [keyId],
  );
  const stored = await storedObjectIds(svc.store, keyId);
  for (const row of rows) {
    expect(row.indexed).toBe(true);
    expect(stored.has(row.object_id), `blob ${row.object_id}`).toBe(true);
  }
  return rows.length;
}

describe('garbage collection and running backups', () => {
  it('keeps an object a running backup was told is already stored, and the point it commits is whole', async () => {
    const f = await machineWithItem();
    const ids = await unreferencedObjects(f, 5);
    const session = await start(f);
    // The backup asks; the vault has them all: the agent will not send them.
    expect(await findMissing(svc, session, { ids })).toEqual({ missing: [] });

    // GC tries to run now, with no grace at all: the running backup of the key holds it off.
    expect(await collectGarbage(svc, f.keyId, 0)).toMatchObject({ busy: true, objects: 0 });
    const stored = await storedObjectIds(svc.store, f.keyId);
    for (const id of ids) expect(stored.has(id)).toBe(true);

    const point = await commitPoint(f, ids, session);
    expect(point.pointId).toBeTruthy();
    // With the backup done, GC runs and the point's objects are needed: nothing goes.
    expect(await collectGarbage(svc, f.keyId, 0)).toMatchObject({ busy: false, objects: 0, orphans: 0 });
    expect(await expectPointsWhole(f.keyId)).toBe(5);

    // Once the point is deleted (as retention does), its objects are garbage and go, index rows and blobs.
    await svc.pool.query('delete from recovery_points where id = $1', [point.pointId]);
    expect(await collectGarbage(svc, f.keyId, 0)).toMatchObject({ busy: false, objects: 5 });
    const left = await storedObjectIds(svc.store, f.keyId);
    for (const id of ids) expect(left.has(id)).toBe(false);
    await f.machine.remove();
  });

  it('a backup that starts while GC runs waits for it, and is told to send what GC removed', async () => {
    const f = await machineWithItem();
    for (let round = 0; round < 12; round++) {
      const ids = await unreferencedObjects(f, 20);
      const fresh = Array.from({ length: 5 }, objectId);
      const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));
      // GC and a backup of the same objects, started in a different order each round.
      const gc = (async () => {
        await delay(Math.random() * 15);
        return collectGarbage(svc, f.keyId, 0);
      })();
      const backup = (async () => {
        await delay(Math.random() * 15);
        const session = await start(f);
        const wanted = [...ids, ...fresh];
        const { missing } = await findMissing(svc, session, { ids: wanted });
        await delay(Math.random() * 10);
        if (missing.length > 0) await storeObjects(svc, session, upload(missing));
        return commitBackup(svc, session, {
          rootId: wanted[0],
          objectIds: wanted,
          files: 1,
          folders: 1,
          bytes: 1,
          dataTransferred: 0,
        });
      })();
      const [collected, committed] = await Promise.all([gc, backup]);
      expect(committed.pointId).toBeTruthy();
      // Either GC ran first (and removed the old objects, which the backup then sent again) or it found the backup
      // running and left everything alone.
      expect([0, 20]).toContain(collected.objects);
      expect(await expectPointsWhole(f.keyId)).toBe(25 * (round + 1));
    }
    await f.machine.remove();
  });

  it('sweeps a blob with no index row only once it is old: an upload just cut off by a cancel may still index it', async () => {
    const f = await machineWithItem();
    const id = objectId();
    // A blob written just now, its row not yet inserted (its request was still on its way when its session ended).
    await svc.store.put(objectBlobKey(f.keyId, id), sealed());
    expect(await collectGarbage(svc, f.keyId, 0)).toMatchObject({ busy: false, orphans: 0 });
    expect(await svc.store.has(objectBlobKey(f.keyId, id))).toBe(true);
    // Two hours later nothing will index it any more: it goes.
    const file = path.join(svc.env.dataDir, 'backups', objectBlobKey(f.keyId, id));
    const past = new Date(Date.now() - 2 * 3600_000);
    await utimes(file, past, past);
    expect(await collectGarbage(svc, f.keyId, 0)).toMatchObject({ busy: false, orphans: 1 });
    expect(await svc.store.has(objectBlobKey(f.keyId, id))).toBe(false);
    await f.machine.remove();
  });

  it('stores a batch as one pack, and rewrites a pack whose objects partly died so only the live ones stay', async () => {
    const f = await machineWithItem();
    const ids = await unreferencedObjects(f, 6);
    const packBlobs = async () => {
      const keys: string[] = [];
      for await (const blob of svc.store.list(`${keyPrefix(f.keyId)}packs/`)) keys.push(blob.key);
      return keys;
    };
    expect(await packBlobs()).toHaveLength(1);
    const kept = ids.slice(0, 2);
    const before = await Promise.all(kept.map((id) => storedBytes(f, id)));
    // A point needs two of the six: GC removes the other four, and the pack is rewritten with the two alone.
    await commitPoint(f, kept);
    expect(await collectGarbage(svc, f.keyId, 0)).toMatchObject({ busy: false, objects: 4, orphans: 0 });
    const after = await packBlobs();
    expect(after).toHaveLength(1);
    expect(await storedObjectIds(svc.store, f.keyId)).toEqual(new Set(kept));
    const moved = await Promise.all(kept.map((id) => storedBytes(f, id)));
    for (const [i, bytes] of moved.entries()) expect(bytes.equals(before[i]!)).toBe(true);
    // A pack whose rows never arrived (a portal killed between the two) is swept once it is old, like any orphan.
    await svc.store.put(`${keyPrefix(f.keyId)}packs/${randomUUID()}`, sealed());
    expect(await collectGarbage(svc, f.keyId, 0)).toMatchObject({ orphans: 0 });
    const past = new Date(Date.now() - 2 * 3600_000);
    for (const key of await packBlobs()) await utimes(path.join(svc.env.dataDir, 'backups', key), past, past);
    expect(await collectGarbage(svc, f.keyId, 0)).toMatchObject({ busy: false, orphans: 1 });
    expect(await packBlobs()).toEqual(after);
    await f.machine.remove();
  });

  it("a restore's read finds objects that garbage collection moved to a new pack just after it looked them up", async () => {
    const f = await machineWithItem();
    const ids = await unreferencedObjects(f, 6);
    const kept = ids.slice(0, 3);
    const { pointId } = await commitPoint(f, kept);
    const expected = new Map<string, Buffer>();
    for (const id of kept) expected.set(id, await storedBytes(f, id));
    // The read has looked up where the objects are; before it reads them, GC rewrites their pack without the other
    // three and deletes the old one.
    let collected: unknown;
    const store: BlobStore = Object.create(svc.store, {
      readRanges: {
        value: async (key: string, ranges: Array<{ offset: number; target: Uint8Array }>) => {
          collected ??= await collectGarbage(svc, f.keyId, 0);
          return svc.store.readRanges!(key, ranges);
        },
      },
    });
    const frames = await readObjectFrames(
      svc.pool,
      store,
      { id: randomUUID(), pointId: pointId!, keyId: f.keyId, operationId: randomUUID() },
      { ids: kept },
    );
    expect(collected).toMatchObject({ busy: false, objects: 3 });
    const got = new Map<string, Buffer>();
    const view = Buffer.from(frames);
    for (let at = 0; at < view.length; ) {
      const length = view.readUInt32BE(at + 32);
      got.set(view.subarray(at, at + 32).toString('hex'), view.subarray(at + 36, at + 36 + length));
      at += 36 + length;
    }
    expect([...got.keys()].sort()).toEqual([...kept].sort());
    for (const id of kept) expect(got.get(id)!.equals(expected.get(id)!)).toBe(true);
    await f.machine.remove();
  });
});
