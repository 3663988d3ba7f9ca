import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BATCH_BYTES } from '@/agent/backup/uploader';
import { readState } from '@/agent/state';
import * as objectsRoute from '@/app/api/agent/backups/[sessionId]/objects/route';
import { unregisterServer } from '@/lib/servers/servers';
import { vaultUsage } from '@/lib/vaults/usage';
import { heartbeatProbe, type Machine, PASSPHRASE, registeredMachine, routeFetch } from '@/testing/backups';
import { type TestServices, testServices } from '@/testing/services';
import { requestBackup, stopProtection } from './portal';
import { collectGarbage, purgeKey } from './purge';
import { failStaleBackups, HEARTBEAT_TIMEOUT_SECONDS, REQUEST_TIMEOUT_MINUTES } from './sessions';

let svc: TestServices;
beforeAll(async () => {
  svc = await testServices();
});
afterAll(() => svc.close());

const MiB = 1024 * 1024;

/** A folder with large random files, a duplicate of one, small text files and an empty folder. */
async function dataset(root: string, marker: string) {
  await mkdir(path.join(root, 'docs', 'empty'), { recursive: true });
  const big = randomBytes(6 * MiB);
  await writeFile(path.join(root, 'big.bin'), big);
  await writeFile(path.join(root, 'copy-of-big.bin'), big);
  for (let i = 0; i < 20; i++) {
    await writeFile(path.join(root, 'docs', `${marker}-note-${i}.txt`), `${marker} note ${i}\n`.repeat(50));
  }
  return { big };
}

async function jobsOf(vaultId: string) {
  const { rows } = await svc.pool.query(
    `select kind, status, item_name, server_name, data_transferred::bigint as transferred, bytes_done, files_done, message
     from operations where vault_id = $1 and kind = 'Backup' order by started_at`,
    [vaultId],
  );
  return rows;
}

async function json(machine: Machine, ...argv: string[]) {
  const result = await machine.agent(...argv, '--json');
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  const lines = result.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  return lines.at(-1) as { event: string; items: Array<{ dataTransferred: number; pointId: string }> };
}

describe('backups end to end (agent → route handlers → PostgreSQL and the blob store)', () => {
  it('backs up a protected folder into a recovery point, deduplicating within and across backups', async () => {
    const machine = await registeredMachine(svc);
    const folder = path.join(machine.work, 'data');
    await dataset(folder, 'dedup');

    const protect = await machine.agent('protect', '--path', folder);
    expect(protect.stdout.trim()).toBe(`${folder}: Protected - (pending initial backup)`);

    const first = await machine.agent('backup');
    expect(first.stderr).toBe('');
    expect(first.stdout.trim()).toBe('Backup completed.');
    expect(first.code).toBe(0);

    const [item] = (
      await svc.pool.query('select status, last_backup_status from protected_items where path = $1', [folder])
    ).rows;
    expect(item).toEqual({ status: 'Protected', last_backup_status: 'Completed' });
    const [job] = await jobsOf(machine.vaultId);
    expect(job).toMatchObject({ kind: 'Backup', status: 'Succeeded', item_name: folder, server_name: 'FILESERVER01' });
    expect(job.message).toBe(`The backup of '${folder}' on 'FILESERVER01' completed.`);
    // The duplicate file travelled once: a little over 6 MiB of random data, not 12.
    expect(Number(job.transferred)).toBeGreaterThan(6 * MiB);
    expect(Number(job.transferred)).toBeLessThan(7 * MiB);
    const usage = await vaultUsage(svc.db, machine.vaultId);
    expect(usage.protectedItems).toBe(1);
    expect(usage.storageUsedBytes).toBeGreaterThan(6 * MiB);
    expect(usage.storageUsedBytes).toBeLessThan(7 * MiB);

    // A small change: a few bytes in the middle of the big file (and its time), and one new note.
    const big = await readFile(path.join(folder, 'big.bin'));
    big.write('changed!', 3 * MiB);
    await writeFile(path.join(folder, 'big.bin'), big);
    await writeFile(path.join(folder, 'docs', 'new.txt'), 'new\n');
    const second = await json(machine, 'backup', '--path', folder);
    expect(second.event).toBe('completed');
    // Only the chunks around the change, the new note and the changed listings travel, never the 6 MiB file whole.
    // (Chunk boundaries depend on the vault's random key: a chunk is 256 KiB plus a stretch of 256 KiB on average,
    // so the one or two chunks around the change pass 3 MiB about once in thousands of keys.)
    expect(second.items[0]!.dataTransferred).toBeLessThan(3 * MiB);
    const after = await vaultUsage(svc.db, machine.vaultId);
    expect(after.storageUsedBytes - usage.storageUsedBytes).toBeLessThan(3 * MiB);

    const points = await machine.agent('points', '--path', folder);
    expect(points.stdout).toContain(`${folder}: 2 recovery points`);
    expect(points.stdout).toContain('23 files');

    // Nothing changed: nothing is read again (the cache), and only the unchanged listings are checked.
    const third = await json(machine, 'backup', '--path', folder);
    expect(third.items[0]!.dataTransferred).toBe(0);
    await machine.remove();
  });

  it('keeps no file name, content or passphrase in the blob store or the database', async () => {
    const marker = `MARKER${randomBytes(6).toString('hex')}`;
    const machine = await registeredMachine(svc);
    const folder = path.join(machine.work, `${marker}-folder`);
    await mkdir(path.join(folder, `${marker}-sub`), { recursive: true });
    await writeFile(path.join(folder, `${marker}-sub`, `${marker}.txt`), `secret ${marker} content\n`.repeat(1000));
    await writeFile(path.join(folder, 'plain.txt'), `${marker}`);
    expect((await machine.agent('protect', '--path', folder)).code).toBe(0);
    expect((await machine.agent('backup')).code).toBe(0);

    const needles = [
      marker,
      PASSPHRASE,
      Buffer.from(marker).toString('base64'),
      Buffer.from(PASSPHRASE).toString('hex'),
    ];
    const root = path.join(svc.env.dataDir, 'backups');
    const blobs: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) await walk(full);
        else blobs.push(full);
      }
    };
    await walk(root);
    expect(blobs.length).toBeGreaterThan(2);
    for (const blob of blobs) {
      const bytes = await readFile(blob);
      for (const needle of needles) expect(bytes.includes(needle), `${needle} in ${blob}`).toBe(false);
    }
    // A dump of every table except the item's own name (the folder's path is the item's name, by contract).
    const { rows: tables } = await svc.pool.query<{ table_name: string }>(
      `select table_name from information_schema.tables where table_schema = 'public'`,
    );
    for (const { table_name } of tables) {
      const { rows } = await svc.pool.query(`select * from "${table_name}"`);
      const text = JSON.stringify(rows).replaceAll(folder, '<item>');
      for (const needle of needles) expect(text.includes(needle), `${needle} in ${table_name}`).toBe(false);
    }
    // The machine itself keeps the vault key, never the passphrase.
    const state = await readState(machine.stateDir);
    expect(state?.vaultKey).toBeTruthy();
    expect(JSON.stringify(state)).not.toContain(PASSPHRASE);
    await machine.remove();
  });

  it('fails a backup whose agent stops reporting, leaves no point, and the next backup reuses what was stored', async () => {
    let dead = false;
    let uploads = 0;
    // Like kill -9 after the first batch of objects reached the portal: nothing the agent sends arrives any more.
    const { fetch } = routeFetch(async (request) => {
      if (request.url.endsWith('/objects') && ++uploads > 1) dead = true;
      return dead ? Promise.reject(new Error('connection refused')) : undefined;
    });
    const machine = await registeredMachine(svc, { fetch });
    const folder = path.join(machine.work, 'data');
    await mkdir(folder);
    for (let i = 0; i < 3; i++) await writeFile(path.join(folder, `f${i}.bin`), randomBytes(20 * MiB));
    expect((await machine.agent('protect', '--path', folder)).code).toBe(0);
    const killed = await machine.agent('backup');
    expect(killed.code).toBe(1);
    expect(killed.stderr).toContain('connection refused');
    const pointCount = async () =>
      (
        await svc.pool.query(
          'select count(*)::int as n from recovery_points p join protected_items i on i.id = p.item_id where i.path = $1',
          [folder],
        )
      ).rows[0].n;
    expect(await pointCount()).toBe(0);
    expect((await jobsOf(machine.vaultId))[0].status).toBe('InProgress');

    // The portal stops waiting once the heartbeat is overdue.
    const later = new Date(Date.now() + (HEARTBEAT_TIMEOUT_SECONDS + 5) * 1000);
    expect(await failStaleBackups(svc, later)).toBeGreaterThanOrEqual(1);
    const [failed] = await jobsOf(machine.vaultId);
    expect(failed.status).toBe('Failed');
    expect(failed.message).toMatch(
      /^The backup of '.*' on 'FILESERVER01' failed: the agent stopped reporting progress/,
    );
    expect(await pointCount()).toBe(0);

    // The agent comes back: the objects already stored are not sent again.
    dead = false;
    uploads = -1000;
    // The batches that reached the portal before the "kill" are stored in full (the portal finishes what it received):
    // at least one whole batch, of at least BATCH_BYTES.
    const storedBytes = async () =>
      Number(
        (
          await svc.pool.query<{ bytes: string }>(
            `select coalesce(sum(o.size), 0)::bigint as bytes from backup_objects o
             join backup_keys k on k.id = o.key_id where k.vault_id = $1`,
            [machine.vaultId],
          )
        ).rows[0]!.bytes,
      );
    await expect.poll(storedBytes, { timeout: 20_000 }).toBeGreaterThan(BATCH_BYTES);
    const stored = await storedBytes();
    const again = await json(machine, 'backup', '--path', folder);
    expect(again.items[0]!.dataTransferred).toBeLessThan(60 * MiB - stored + MiB);
    expect(await pointCount()).toBe(1);
    await machine.remove();
  });

  it("writes a backup's heartbeat on an upload only when the last one is a few seconds old", async () => {
    const probe = heartbeatProbe(svc.pool, 'backup_sessions', (request, sessionId) =>
      objectsRoute.POST(request, { params: Promise.resolve({ sessionId }) }),
    );
    const { fetch } = routeFetch((request) => {
      const upload = /\/api\/agent\/backups\/([^/]+)\/objects$/.exec(new URL(request.url).pathname);
      return upload ? probe.call(request, upload[1]!) : undefined;
    });
    const machine = await registeredMachine(svc, { fetch });
    const folder = path.join(machine.work, 'data');
    await mkdir(folder);
    // Several batches of uploads (about 8 MiB each).
    for (let i = 0; i < 4; i++) await writeFile(path.join(folder, `f${i}.bin`), randomBytes(6 * MiB));
    expect((await machine.agent('protect', '--path', folder)).code).toBe(0);
    expect((await machine.agent('backup')).code).toBe(0);
    expect(probe.seen.length).toBeGreaterThanOrEqual(2);
    expect(probe.seen.map((s) => s.written)).toEqual(probe.seen.map((s) => s.due));
    await machine.remove();
  });

  it("refuses commits that name objects the vault does not hold, or another key's objects", async () => {
    const a = await registeredMachine(svc, { name: 'A' });
    const b = await registeredMachine(svc, { name: 'B', user: a.user, vaultId: a.vaultId });
    const folder = path.join(a.work, 'data');
    await mkdir(folder);
    await writeFile(path.join(folder, 'a.txt'), 'hello');
    await mkdir(path.join(b.work, 'data'));
    for (const m of [a, b]) expect((await m.agent('protect', '--path', path.join(m.work, 'data'))).code).toBe(0);
    expect((await a.agent('backup')).code).toBe(0);
    const { rows: aObjects } = await svc.pool.query<{ id: string }>(
      `select o.id from backup_objects o join backup_keys k on k.id = o.key_id join registered_servers s on s.id = k.server_id
       where s.name = 'A' and s.vault_id = $1`,
      [a.vaultId],
    );
    expect(aObjects.length).toBe(2);

    // B opens a session of its own and tries to commit A's objects, then made-up ones.
    const bState = (await readState(b.stateDir))!;
    const { callAsMachine, isObject } = await import('@/agent/machine');
    const { AGENT_PATHS } = await import('@/wire/protocol');
    const ctx = {
      stdout: process.stdout,
      stderr: process.stderr,
      env: {},
      now: () => new Date(),
      fetch: routeFetch().fetch,
    };
    const session = await callAsMachine(bState, ctx, {
      path: AGENT_PATHS.backups,
      method: 'POST',
      body: { path: path.join(b.work, 'data'), keyId: bState.keyId, filesTotal: 0, bytesTotal: 0 },
      accept: isObject<{ sessionId: string; token: string }>,
    });
    const commit = (objectIds: string[]) =>
      routeFetch().fetch(`http://portal.test${AGENT_PATHS.session(session.sessionId, 'commit')}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${session.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ rootId: objectIds[0], objectIds, files: 1, folders: 0, bytes: 5, dataTransferred: 0 }),
      });
    for (const ids of [aObjects.map((o) => o.id), ['ab'.repeat(32)]]) {
      const refused = await commit(ids);
      expect(refused.status).toBe(409);
      expect((await refused.json()).error.code).toBe('missing_objects');
    }
    const malformed = await routeFetch().fetch(
      `http://portal.test${AGENT_PATHS.session(session.sessionId, 'objects')}`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${session.token}` },
        body: new Uint8Array(40),
      },
    );
    expect(malformed.status).toBe(400);
    expect((await malformed.json()).error.message).toMatch(
      /^The upload is malformed: object 0+ has an impossible length/,
    );
    const wrongToken = await routeFetch().fetch(
      `http://portal.test${AGENT_PATHS.session(session.sessionId, 'missing')}`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${session.sessionId}.${'x'.repeat(43)}` },
        body: JSON.stringify({ ids: [] }),
      },
    );
    expect(wrongToken.status).toBe(401);
    const { rows: bPoints } = await svc.pool.query(
      `select count(*)::int as n from recovery_points p join backup_keys k on k.id = p.key_id
       join registered_servers s on s.id = k.server_id where s.name = 'B' and s.vault_id = $1`,
      [a.vaultId],
    );
    expect(bPoints[0].n).toBe(0);
    await a.remove();
    await b.remove();
  });

  it('deleting a server removes its recovery points, index and blobs; garbage collection keeps what points need', async () => {
    const machine = await registeredMachine(svc);
    const folder = path.join(machine.work, 'data');
    await mkdir(folder);
    await writeFile(path.join(folder, 'one.bin'), randomBytes(MiB));
    expect((await machine.agent('protect', '--path', folder)).code).toBe(0);
    expect((await machine.agent('backup')).code).toBe(0);
    const { keyId } = (await readState(machine.stateDir))!;
    const blobDir = path.join(svc.env.dataDir, 'backups', 'objects', keyId!);
    expect((await stat(blobDir)).isDirectory()).toBe(true);

    // Nothing unreferenced: a collection with no grace removes nothing.
    const collected = await collectGarbage(svc, keyId!, 0);
    expect(collected).toMatchObject({ busy: false, objects: 0 });

    const { rows: servers } = await svc.pool.query<{ id: string }>(
      'select id from registered_servers where vault_id = $1',
      [machine.vaultId],
    );
    expect(await unregisterServer(svc, machine.user, { serverId: servers[0]!.id })).toEqual({
      ok: true,
      data: undefined,
    });
    const { rows: left } = await svc.pool.query(
      `select (select count(*)::int from recovery_points where vault_id = $1) as points,
              (select count(*)::int from backup_keys where vault_id = $1) as keys,
              (select count(*)::int from backup_objects where key_id = $2) as objects`,
      [machine.vaultId, keyId],
    );
    expect(left[0]).toEqual({ points: 0, keys: 0, objects: 0 });
    expect(await purgeKey(svc, keyId!)).toBeGreaterThan(0);
    await expect(stat(blobDir)).rejects.toThrow();
    expect((await vaultUsage(svc.db, machine.vaultId)).storageUsedBytes).toBe(0);
    await machine.remove();
  });

  it('BACKUP NOW makes a job at once that the agent carries on; a request nobody takes fails; readers cannot', async () => {
    const machine = await registeredMachine(svc);
    const folder = path.join(machine.work, 'data');
    await mkdir(folder);
    await writeFile(path.join(folder, 'a.txt'), 'a');
    expect((await machine.agent('protect', '--path', folder)).code).toBe(0);
    const { rows: items } = await svc.pool.query<{ id: string }>('select id from protected_items where path = $1', [
      folder,
    ]);
    const itemId = items[0]!.id;
    const reader = {
      ...machine.user,
      subscriptions: machine.user.subscriptions.map((s) => ({ ...s, role: 'Reader' as const })),
    };
    expect(await requestBackup(svc, reader, { itemId })).toMatchObject({
      ok: false,
      message: expect.stringMatching(/read access/),
    });
    expect(await requestBackup(svc, machine.user, { itemId: 'not-a-uuid' })).toMatchObject({ ok: false });

    expect(await requestBackup(svc, machine.user, { itemId })).toMatchObject({
      ok: true,
      message: expect.stringContaining('starts it within 10 seconds'),
    });
    const [waiting] = await jobsOf(machine.vaultId);
    expect(waiting).toMatchObject({ status: 'InProgress', message: expect.stringMatching(/^Waiting for the agent/) });
    expect((await machine.agent('backup', '--path', folder)).code).toBe(0);
    const jobs = await jobsOf(machine.vaultId);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ status: 'Succeeded' });
    const { rows: owner } = await svc.pool.query(
      `select user_id from operations where vault_id = $1 and kind = 'Backup'`,
      [machine.vaultId],
    );
    expect(owner[0].user_id).toBe(machine.user.id);

    expect((await requestBackup(svc, machine.user, { itemId })).ok).toBe(true);
    await failStaleBackups(svc, new Date(Date.now() + (REQUEST_TIMEOUT_MINUTES + 1) * 60_000));
    const [expired] = (await jobsOf(machine.vaultId)).slice(-1);
    expect(expired).toMatchObject({ status: 'Failed' });
    expect(expired.message).toContain('the agent did not start it within 10 minutes');

    expect(await stopProtection(svc, machine.user, { itemId, deleteData: false })).toEqual({
      ok: true,
      data: undefined,
    });
    expect(await requestBackup(svc, machine.user, { itemId })).toMatchObject({
      ok: false,
      message: expect.stringContaining('is stopped'),
    });
    await machine.remove();
  });

  it('a machine registered before backups existed makes its vault key on its first backup, once the passphrase checks', async () => {
    const machine = await registeredMachine(svc);
    const folder = path.join(machine.work, 'data');
    await mkdir(folder);
    await writeFile(path.join(folder, 'a.txt'), 'a');
    expect((await machine.agent('protect', '--path', folder)).code).toBe(0);
    // As an older agent left it: no vault key in the state.
    const stateFile = path.join(machine.stateDir, 'state.json');
    const old = JSON.parse(await readFile(stateFile, 'utf8'));
    for (const field of ['vaultKey', 'wrappedKey', 'keyId']) delete old[field];
    await writeFile(stateFile, JSON.stringify(old));

    const noPassphrase = await machine.agent('backup');
    expect(noPassphrase.code).toBe(1);
    expect(noPassphrase.stderr).toMatch(
      /^This machine has no vault key yet: run the backup once with --passphrase-file/,
    );
    const wrongFile = path.join(machine.work, 'wrong.txt');
    await writeFile(wrongFile, 'not the passphrase at all');
    const wrong = await machine.agent('backup', '--passphrase-file', wrongFile);
    expect(wrong.stderr.trim()).toBe('The passphrase is incorrect.');

    const first = await machine.agent('backup', '--passphrase-file', machine.passphraseFile);
    expect(first.stdout.trim()).toBe('Backup completed.');
    const state = (await readState(machine.stateDir))!;
    expect(state.vaultKey && state.keyId).toBeTruthy();
    // From then on it backs up unattended.
    expect((await machine.agent('backup')).code).toBe(0);
    const { rows } = await svc.pool.query<{ n: number }>(
      'select count(*)::int as n from backup_keys k join registered_servers s on s.id = k.server_id where s.vault_id = $1',
      [machine.vaultId],
    );
    expect(rows[0]!.n).toBe(2);
    await machine.remove();
  });
});
