import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, readlink, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopProtection } from '@/lib/backups/portal';
import { applyRetention } from '@/lib/retention/apply';
import { unregisterServer } from '@/lib/servers/servers';
import { heartbeatProbe, type Machine, registeredMachine, routeFetch } from '@/testing/backups';
import { restoreRoutes } from '@/testing/restore';
import { type TestServices, testServices } from '@/testing/services';
import { failStaleRestores, RESTORE_HEARTBEAT_TIMEOUT_SECONDS } from './sessions';

let svc: TestServices;
beforeAll(async () => {
  svc = await testServices();
});
afterAll(() => svc.close());

const MiB = 1024 * 1024;
const PAST = new Date('2024-03-05T06:07:08.000Z');

async function machineWithRestores(options: Parameters<typeof registeredMachine>[1] = {}) {
  return registeredMachine(svc, { ...options, fetch: routeFetch(restoreRoutes).fetch });
}

/** Files of several chunks, small and empty files, nested and empty folders, a link, and times in the past. */
async function dataset(root: string) {
  await mkdir(path.join(root, 'docs', 'empty'), { recursive: true });
  await mkdir(path.join(root, 'docs', 'deep', 'er'), { recursive: true });
  await writeFile(path.join(root, 'big.bin'), randomBytes(5 * MiB));
  await writeFile(path.join(root, 'empty.txt'), '');
  await writeFile(path.join(root, 'docs', 'deep', 'er', 'note.txt'), 'deep note\n');
  for (let i = 0; i < 10; i++) await writeFile(path.join(root, 'docs', `report-${i}.txt`), `report ${i}\n`.repeat(100));
  await writeFile(path.join(root, 'docs', 'private.txt'), 'secret\n', { mode: 0o640 });
  await symlink('docs/report-1.txt', path.join(root, 'latest'));
  for (const rel of ['big.bin', 'docs/report-3.txt', 'docs/empty', 'docs/deep', 'docs']) {
    await utimes(path.join(root, rel), PAST, PAST);
  }
}

type Snapshot = Record<string, { type: string; content?: string; mtimeMs?: number; mode?: number; target?: string }>;

/** Every entry below `root`: content (hashed by value), modification time and mode, links' targets. */
async function snapshot(root: string): Promise<Snapshot> {
  const out: Snapshot = {};
  const walk = async (dir: string, rel: string) => {
    for (const name of (await readdir(dir)).sort()) {
      const abs = path.join(dir, name);
      const key = rel ? `${rel}/${name}` : name;
      const st = await lstat(abs);
      if (st.isSymbolicLink()) out[key] = { type: 'link', target: await readlink(abs) };
      else if (st.isDirectory()) {
        await walk(abs, key);
        out[key] = { type: 'dir', mtimeMs: Math.floor((await lstat(abs)).mtimeMs), mode: st.mode & 0o7777 };
      } else {
        const data = await readFile(abs);
        out[key] = {
          type: 'file',
          content: data.toString('base64'),
          mtimeMs: Math.floor(st.mtimeMs),
          mode: st.mode & 0o7777,
        };
      }
    }
  };
  await walk(root, '');
  return out;
}

async function restoreJobs(vaultId: string) {
  const { rows } = await svc.pool.query(
    `select status, item_name, server_name, bytes_done, files_done, files_total, data_transferred::bigint as transferred, message
     from operations where vault_id = $1 and kind = 'Restore' order by started_at`,
    [vaultId],
  );
  return rows;
}

async function backedUp(machine: Machine, folder: string) {
  expect((await machine.agent('protect', '--path', folder)).code).toBe(0);
  const result = await machine.agent('backup');
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
}

describe('recover with the agent (agent → route handlers → PostgreSQL and the blob store)', () => {
  let machine: Machine;
  let folder: string;
  let original: Snapshot;

  beforeAll(async () => {
    machine = await machineWithRestores();
    folder = path.join(machine.work, 'data');
    await dataset(folder);
    original = await snapshot(folder);
    await backedUp(machine, folder);
  });
  afterAll(() => machine.remove());

  it('restores the folder byte for byte, with modes, modification times, links and empty folders, as a Restore job', async () => {
    const target = path.join(machine.work, 'restored');
    const result = await machine.agent('recover', '--path', folder, '--target', target);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('Recovery completed.');
    expect(result.code).toBe(0);
    const restored = await snapshot(target);
    expect(restored).toEqual(original);
    expect((await restoreJobs(machine.vaultId)).at(-1)).toMatchObject({
      status: 'Succeeded',
      item_name: folder,
      server_name: 'FILESERVER01',
      files_done: 14,
      files_total: 14,
      message: `The restore of '${folder}' on 'FILESERVER01' completed.`,
    });
  });

  it('handles conflicts as copies (the default), by overwriting, or by skipping', async () => {
    const target = path.join(machine.work, 'conflicts');
    await mkdir(target, { recursive: true });
    const changed = path.join(target, 'empty.txt');
    for (const [conflict, expected] of [
      ['skip', 'mine'],
      ['overwrite', ''],
    ] as const) {
      await writeFile(changed, 'mine');
      expect((await machine.agent('recover', '--path', folder, '--target', target, '--conflict', conflict)).code).toBe(
        0,
      );
      expect(await readFile(changed, 'utf8')).toBe(expected);
    }
    await writeFile(changed, 'mine');
    expect((await machine.agent('recover', '--path', folder, '--target', target)).code).toBe(0);
    expect(await readFile(changed, 'utf8')).toBe('mine');
    expect(await readFile(path.join(target, 'empty (1).txt'), 'utf8')).toBe('');
    const copy = await readFile(path.join(target, 'big (1).bin'));
    expect(copy.equals(await readFile(path.join(folder, 'big.bin')))).toBe(true);
    // In a folder the earlier runs restored too.
    expect(await readFile(path.join(target, 'docs', 'report-0 (1).txt'), 'utf8')).toBe('report 0\n'.repeat(100));
    expect((await restoreJobs(machine.vaultId)).at(-1)!.message).toMatch(
      /were restored as copies beside existing files/,
    );
  });

  it('recovers an earlier point by time, and says when there is none', async () => {
    const [{ taken_at: first }] = (
      await svc.pool.query(
        `select p.taken_at from recovery_points p join protected_items i on i.id = p.item_id where i.path = $1`,
        [folder],
      )
    ).rows;
    await writeFile(path.join(folder, 'docs', 'report-0.txt'), 'changed after the first backup\n');
    expect((await machine.agent('backup')).code).toBe(0);

    const target = path.join(machine.work, 'earlier');
    const result = await machine.agent('recover', '--path', folder, '--point', first.toISOString(), '--target', target);
    expect(result.stderr).toBe('');
    expect(await readFile(path.join(target, 'docs', 'report-0.txt'), 'utf8')).toBe('report 0\n'.repeat(100));
    const latest = path.join(machine.work, 'latest');
    expect((await machine.agent('recover', '--path', folder, '--point', 'latest', '--target', latest)).code).toBe(0);
    expect(await readFile(path.join(latest, 'docs', 'report-0.txt'), 'utf8')).toBe('changed after the first backup\n');

    const none = await machine.agent(
      'recover',
      '--path',
      folder,
      '--point',
      '2001-01-01T00:00:00Z',
      '--target',
      target,
    );
    expect(none.code).toBe(1);
    expect(none.stderr.trim()).toBe(`'${folder}' has no recovery point taken at or before 2001-01-01T00:00:00.000Z.`);
  });

  it("recovers another server's folder with its passphrase, and refuses a wrong one", async () => {
    const other = await machineWithRestores({ user: machine.user, vaultId: machine.vaultId, name: 'FILESERVER02' });
    const target = path.join(other.work, 'from-01');
    const wrong = path.join(other.work, 'wrong.txt');
    await writeFile(wrong, 'not the passphrase at all\n');
    const refused = await other.agent(
      'recover',
      '--path',
      folder,
      '--from-server',
      'FILESERVER01',
      '--passphrase-file',
      wrong,
      '--target',
      target,
    );
    expect(refused.stderr.trim()).toBe('The passphrase is incorrect.');
    expect(refused.code).toBe(1);
    expect((await restoreJobs(machine.vaultId)).at(-1)).toMatchObject({
      status: 'Failed',
      server_name: 'FILESERVER02',
      message: `The restore of '${folder}' on 'FILESERVER02' failed: The passphrase is incorrect.`,
    });

    const withoutPassphrase = await other.agent(
      'recover',
      '--path',
      folder,
      '--from-server',
      'FILESERVER01',
      '--target',
      target,
    );
    expect(withoutPassphrase.code).toBe(2);

    const restored = await other.agent(
      'recover',
      '--path',
      folder,
      '--from-server',
      'fileserver01',
      '--passphrase-file',
      machine.passphraseFile,
      '--target',
      target,
    );
    expect(restored.stderr).toBe('');
    expect(restored.code).toBe(0);
    expect((await snapshot(target))['big.bin']).toEqual(original['big.bin']);
    await other.remove();
  });

  it('fails a restore whose agent stopped reporting', async () => {
    const { rows } = await svc.pool.query(
      `select r.id from restores r join operations o on o.id = r.operation_id where o.vault_id = $1 limit 1`,
      [machine.vaultId],
    );
    await svc.pool.query(`update restores set ended_at = null, running = true where id = $1`, [rows[0].id]);
    await svc.pool.query(
      `update operations set status = 'InProgress' where id = (select operation_id from restores where id = $1)`,
      [rows[0].id],
    );
    const later = new Date(Date.now() + (RESTORE_HEARTBEAT_TIMEOUT_SECONDS + 5) * 1000);
    expect(await failStaleRestores(svc, later)).toBeGreaterThanOrEqual(1);
    const [job] = (
      await svc.pool.query(
        `select status, message from operations where id = (select operation_id from restores where id = $1)`,
        [rows[0].id],
      )
    ).rows;
    expect(job.status).toBe('Failed');
    expect(job.message).toMatch(/the agent stopped reporting progress/);
  });

  it("writes a restore's heartbeat on a read only when the last one is a few seconds old", async () => {
    const probe = heartbeatProbe(svc.pool, 'restores', (request) => restoreRoutes(request) as Promise<Response>);
    const { fetch } = routeFetch((request) => {
      const read = /\/api\/agent\/restores\/([^/]+)\/objects$/.exec(new URL(request.url).pathname);
      return read ? probe.call(request, read[1]!) : restoreRoutes(request);
    });
    const reader = await registeredMachine(svc, { fetch });
    try {
      const data = path.join(reader.work, 'data');
      await dataset(data);
      await backedUp(reader, data);
      const result = await reader.agent('recover', '--path', data, '--target', path.join(reader.work, 'restored'));
      expect(result.code).toBe(0);
      expect(probe.seen.length).toBeGreaterThanOrEqual(2);
      expect(probe.seen.map((s) => s.written)).toEqual(probe.seen.map((s) => s.due));
    } finally {
      await reader.remove();
    }
  });

  it('keeps a folder restored as a copy out of the way of a later entry named like that copy', async () => {
    const names = await machineWithRestores();
    try {
      const data = path.join(names.work, 'data');
      await mkdir(path.join(data, 'x'), { recursive: true });
      await writeFile(path.join(data, 'x', 'inner.txt'), 'inner');
      await writeFile(path.join(data, 'x (1)'), 'a file named like a copy');
      await backedUp(names, data);
      const target = path.join(names.work, 'restored');
      await mkdir(target);
      await writeFile(path.join(target, 'x'), 'in the way');
      const result = await names.agent('recover', '--path', data, '--target', target);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(await readFile(path.join(target, 'x'), 'utf8')).toBe('in the way');
      expect(await readFile(path.join(target, 'x (1)', 'inner.txt'), 'utf8')).toBe('inner');
      expect(await readFile(path.join(target, 'x (1) (1)'), 'utf8')).toBe('a file named like a copy');
    } finally {
      await names.remove();
    }
  });
});

describe('deleting what a running restore reads', () => {
  /**
   * A recover whose point goes away mid-way: `remove` runs in the portal after the agent read its first objects (the
   * listing), while its next reads are on the way. The agent stops with a clear message and the job ends Failed.
   */
  async function recoverWhileRemoving(
    remove: (machine: Machine, folder: string) => Promise<void>,
    { older = false }: { older?: boolean } = {},
  ) {
    let reads = 0;
    let removing: Promise<void> | undefined;
    let machine!: Machine;
    let folder = '';
    const fetch = routeFetch(async (request) => {
      if (!/\/api\/agent\/restores\/[^/]+\/objects$/.test(new URL(request.url).pathname)) {
        return restoreRoutes(request);
      }
      reads += 1;
      if (reads === 2) {
        removing ??= remove(machine, folder);
        await removing;
      }
      return restoreRoutes(request);
    }).fetch;
    machine = await registeredMachine(svc, { fetch });
    folder = path.join(machine.work, 'data');
    await dataset(folder);
    await backedUp(machine, folder);
    const point: string[] = [];
    if (older) {
      // Recover the first of two points: a backup policy always keeps the newest.
      const { rows } = await svc.pool.query<{ taken_at: Date }>(
        'select p.taken_at from recovery_points p join protected_items i on i.id = p.item_id where i.path = $1',
        [folder],
      );
      point.push('--point', rows[0]!.taken_at.toISOString());
      await writeFile(path.join(folder, 'empty.txt'), 'changed');
      expect((await machine.agent('backup')).code).toBe(0);
    }
    const target = path.join(machine.work, 'restored');
    const result = await machine.agent('recover', '--path', folder, '--target', target, ...point);
    await removing;
    expect(reads).toBeGreaterThanOrEqual(2);
    return { machine, folder, result, jobs: await restoreJobs(machine.vaultId) };
  }

  it('ends the Restore job Failed when STOP PROTECTION deletes the backup data', async () => {
    const { machine, folder, result, jobs } = await recoverWhileRemoving(async (m) => {
      const { rows } = await svc.pool.query(
        'select id from protected_items where server_id = (select id from registered_servers where vault_id = $1)',
        [m.vaultId],
      );
      const stopped = await stopProtection(svc, m.user, { itemId: rows[0].id, deleteData: true });
      expect(stopped.ok).toBe(true);
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(
      `The recovery of '${folder}' stopped: the portal no longer knows this restore: its recovery point or its server was deleted while it ran.`,
    );
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({
      status: 'Failed',
      message: `The restore of '${folder}' on 'FILESERVER01' failed: protection was stopped and its backup data deleted, with the recovery point.`,
    });
    const { rows } = await svc.pool.query(
      'select count(*)::int as n from restores r join registered_servers s on s.id = r.server_id where s.vault_id = $1',
      [machine.vaultId],
    );
    expect(rows[0].n).toBe(0);
    await machine.remove();
  });

  it('ends the Restore job Failed when the server is deleted', async () => {
    const { machine, result, jobs } = await recoverWhileRemoving(async (m) => {
      const { rows } = await svc.pool.query('select id from registered_servers where vault_id = $1', [m.vaultId]);
      expect((await unregisterServer(svc, m.user, { serverId: rows[0].id })).ok).toBe(true);
    });
    expect(result.code).not.toBe(0);
    expect(jobs[0]).toMatchObject({ status: 'Failed' });
    expect(jobs[0].message).toMatch(/failed: the server was deleted, with its recovery points\.$/);
    await machine.remove();
  });

  it('ends the Restore job Failed when the backup policy deletes its point', async () => {
    const { machine, result, jobs } = await recoverWhileRemoving(
      async (_m, f) => {
        const { rows } = await svc.pool.query('select id from protected_items where path = $1', [f]);
        // Far enough ahead that the policy keeps only the newest point.
        const result = await applyRetention(svc, rows[0].id, new Date(Date.now() + 10 * 365 * 86_400_000));
        expect(result.deleted).toBe(1);
      },
      { older: true },
    );
    expect(result.code).not.toBe(0);
    expect(jobs[0]).toMatchObject({ status: 'Failed' });
    expect(jobs[0].message).toMatch(/failed: its recovery point was deleted by the backup policy\.$/);
    await machine.remove();
  });
});

describe('a folder too large for one listing', () => {
  it('backs up and recovers a folder whose listing is stored in pages', async () => {
    const machine = await machineWithRestores();
    const folder = path.join(machine.work, 'many');
    await mkdir(folder);
    // Long names make the listing pass 1 MiB with a few thousand files.
    const name = (i: number) => `${'long-name-'.repeat(20)}${String(i).padStart(5, '0')}.txt`;
    const count = 3_500;
    for (let i = 0; i < count; i += 500) {
      await Promise.all(
        Array.from({ length: Math.min(500, count - i) }, (_, j) =>
          writeFile(path.join(folder, name(i + j)), `${i + j}\n`),
        ),
      );
    }
    await backedUp(machine, folder);
    const [point] = (
      await svc.pool.query(
        `select p.files, (select count(*)::int from recovery_point_objects o where o.point_id = p.id) as objects
         from recovery_points p join protected_items i on i.id = p.item_id where i.path = $1`,
        [folder],
      )
    ).rows;
    // One object per file, and more than one for the folder's listing.
    expect(point.files).toBe(count);
    expect(point.objects).toBeGreaterThan(count + 2);

    const target = path.join(machine.work, 'restored');
    const result = await machine.agent('recover', '--path', folder, '--target', target);
    expect(result.stderr).toBe('');
    expect(await readdir(target)).toHaveLength(count);
    expect(await readFile(path.join(target, name(count - 1)), 'utf8')).toBe(`${count - 1}\n`);
    expect((await stat(path.join(target, name(0)))).size).toBe(2);
    await machine.remove();
  }, 180_000);
});
