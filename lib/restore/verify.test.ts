import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packBlobKey } from '@/lib/backups/packs';
import { type Machine, registeredMachine, routeFetch } from '@/testing/backups';
import { restoreRoutes } from '@/testing/restore';
import { type TestServices, testServices } from '@/testing/services';

let svc: TestServices;
beforeAll(async () => {
  svc = await testServices();
});
afterAll(() => svc.close());

const MiB = 1024 * 1024;

/** A machine whose folder `data` (a file of several chunks, small files in nested folders) is backed up once. */
async function backedUpMachine(): Promise<{ machine: Machine; folder: string }> {
  const machine = await registeredMachine(svc, { fetch: routeFetch(restoreRoutes).fetch });
  const folder = path.join(machine.work, 'data');
  await mkdir(path.join(folder, 'docs', 'sub'), { recursive: true });
  await writeFile(path.join(folder, 'big.bin'), randomBytes(3 * MiB));
  await writeFile(path.join(folder, 'empty.txt'), '');
  for (let i = 0; i < 4; i++) await writeFile(path.join(folder, 'docs', `note-${i}.txt`), `note ${i}\n`.repeat(50));
  await writeFile(path.join(folder, 'docs', 'sub', 'deep.txt'), 'deep\n');
  expect((await machine.agent('protect', '--path', folder)).code).toBe(0);
  await backup(machine);
  return { machine, folder };
}

async function backup(machine: Machine) {
  const result = await machine.agent('backup');
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
}

async function points(machine: Machine): Promise<Array<{ id: string; takenAt: string }>> {
  const { rows } = await svc.pool.query<{ id: string; taken_at: Date }>(
    `select p.id, p.taken_at from recovery_points p join protected_items i on i.id = p.item_id
     join registered_servers s on s.id = i.server_id where s.vault_id = $1 order by p.taken_at`,
    [machine.vaultId],
  );
  return rows.map((r) => ({ id: r.id, takenAt: r.taken_at.toISOString() }));
}

async function verifyJobs(vaultId: string) {
  const { rows } = await svc.pool.query(
    `select kind, status, item_name, files_done, files_total, message from operations
     where vault_id = $1 and kind in ('Verify', 'Restore') order by started_at`,
    [vaultId],
  );
  return rows;
}

/** The point's stored objects, largest first (the big file's chunks before the listings and small files). */
async function storedObjects(pointId: string) {
  const { rows } = await svc.pool.query<{
    id: string;
    key_id: string;
    size: number;
    pack_id: string;
    pack_offset: number;
  }>(
    `select o.id, o.key_id, o.size, o.pack_id, o.pack_offset from recovery_point_objects r
     join backup_objects o on o.key_id = r.key_id and o.id = r.object_id
     where r.point_id = $1 order by o.size desc, o.id`,
    [pointId],
  );
  return rows;
}

const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Every file and folder below `root` but those under `except`. */
async function tree(root: string, except: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const abs = path.join(dir, entry.name);
      if (abs === except) continue;
      out.push(abs);
      if (entry.isDirectory()) await walk(abs);
    }
  };
  await walk(root);
  return out.sort();
}

describe('verify with the agent (agent → route handlers → PostgreSQL and the blob store)', () => {
  let machine: Machine;
  let folder: string;

  beforeAll(async () => {
    ({ machine, folder } = await backedUpMachine());
  });
  afterAll(() => machine.remove());

  it('checks the latest point (a random 5 % of its chunks, at least one) as a Verify job, writing nothing', async () => {
    const [point] = await points(machine);
    const cwd = process.cwd();
    const scratch = await mkdtemp(path.join(os.tmpdir(), 'verify-cwd-'));
    const before = await tree(machine.work, machine.stateDir);
    process.chdir(scratch);
    let result: Awaited<ReturnType<Machine['agent']>>;
    try {
      result = await machine.agent('verify', '--path', folder);
    } finally {
      process.chdir(cwd);
    }
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe(`Verify completed: no damage found in the point of ${point!.takenAt}.`);
    expect(result.code).toBe(0);
    expect(await readdir(scratch)).toEqual([]);
    expect(await tree(machine.work, machine.stateDir)).toEqual(before);
    await rm(scratch, { recursive: true });
    const job = (await verifyJobs(machine.vaultId)).at(-1);
    expect(job).toMatchObject({ kind: 'Verify', status: 'Succeeded', item_name: folder, files_done: 1 });
    expect(job.message).toMatch(
      new RegExp(
        `^Verified 3 listings and 1 of \\d+ chunks \\(\\d+(\\.\\d)? %\\) of the point of ${point!.takenAt}: no damage found\\.$`,
      ),
    );
    // A Verify job raises and resolves no alert.
    const { rows: alerts } = await svc.pool.query('select kind from alerts where vault_id = $1', [machine.vaultId]);
    expect(alerts).toEqual([]);
  });

  it('--sample 100 reads every distinct chunk; --json prints progress and the figures', async () => {
    const result = await machine.agent('verify', '--path', folder, '--sample', '100', '--json');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.some((line) => line.event === 'progress')).toBe(true);
    const done = lines.at(-1);
    expect(done).toMatchObject({ event: 'completed', item: folder, listings: 3 });
    // big.bin's chunks, the four notes and deep.txt; the empty file has none.
    expect(done.chunks).toBe(done.chunksTotal);
    expect(done.chunksTotal).toBeGreaterThanOrEqual(4 + 1 + 3);
    expect(done.dataTransferred).toBeGreaterThan(3 * MiB);
    const job = (await verifyJobs(machine.vaultId)).at(-1);
    expect(job).toMatchObject({ kind: 'Verify', status: 'Succeeded', files_done: done.chunks });
    expect(job.message).toContain(`and ${done.chunks} of ${done.chunks} chunks (100 %)`);
  });

  it('--point TIME verifies the newest point taken at or before it', async () => {
    await writeFile(path.join(folder, 'docs', 'note-0.txt'), 'changed\n');
    await backup(machine);
    const [first, second] = await points(machine);
    const older = await machine.agent('verify', '--path', folder, '--point', first!.takenAt);
    expect(older.stdout.trim()).toBe(`Verify completed: no damage found in the point of ${first!.takenAt}.`);
    const latest = await machine.agent('verify', '--path', folder, '--point', 'latest');
    expect(latest.stdout.trim()).toBe(`Verify completed: no damage found in the point of ${second!.takenAt}.`);
  });

  it('refuses a wrong command line', async () => {
    for (const sample of ['0', '101', 'five']) {
      const result = await machine.agent('verify', '--path', folder, '--sample', sample);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('--sample must be a percentage');
    }
    expect((await machine.agent('verify')).code).toBe(2);
  });
});

describe('verify of a damaged point', () => {
  it('names the point and the chunk whose stored bytes were altered; the Verify job fails and raises an alert', async () => {
    const { machine, folder } = await backedUpMachine();
    try {
      const [point] = await points(machine);
      // The largest object is one of big.bin's chunks: a byte flipped inside its ciphertext.
      const [victim] = await storedObjects(point!.id);
      const key = packBlobKey(victim!.key_id, victim!.pack_id);
      const pack = (await svc.store.get(key))!;
      pack[victim!.pack_offset + 100]! ^= 0x01;
      await svc.store.put(key, pack);

      const result = await machine.agent('verify', '--path', folder, '--sample', '100');
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(
        new RegExp(
          `^The recovery point of ${point!.takenAt} of '${escaped(folder)}' is damaged: chunk \\d+ of \\d+ of 'big\\.bin' is corrupt \\(object ${victim!.id.slice(0, 16)}\\)\\.\\n$`,
        ),
      );
      const job = (await verifyJobs(machine.vaultId)).at(-1);
      expect(job).toMatchObject({ kind: 'Verify', status: 'Failed' });
      expect(job.message).toMatch(
        new RegExp(
          `^The recovery point of ${point!.takenAt} is damaged: chunk \\d+ of \\d+ of 'big\\.bin' is corrupt \\(object ${victim!.id.slice(0, 16)}\\)\\.$`,
        ),
      );
      const { rows: alerts } = await svc.pool.query('select kind, status, detail from alerts where vault_id = $1', [
        machine.vaultId,
      ]);
      expect(alerts).toEqual([{ kind: 'BackupDataDamaged', status: 'Active', detail: job.message }]);
    } finally {
      await machine.remove();
    }
  });

  it('names a damaged listing', async () => {
    const { machine, folder } = await backedUpMachine();
    try {
      const [point] = await points(machine);
      const { rows } = await svc.pool.query<{ root_id: string }>('select root_id from recovery_points where id = $1', [
        point!.id,
      ]);
      const root = (await storedObjects(point!.id)).find((o) => o.id === rows[0]!.root_id)!;
      const key = packBlobKey(root.key_id, root.pack_id);
      const pack = (await svc.store.get(key))!;
      pack[root.pack_offset + root.size - 1]! ^= 0x80;
      await svc.store.put(key, pack);
      const result = await machine.agent('verify', '--path', folder);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        `The recovery point of ${point!.takenAt} of '${folder}' is damaged: the listing of the root folder is corrupt (object ${root.id.slice(0, 16)}).\n`,
      );
    } finally {
      await machine.remove();
    }
  });

  it('reports an object the store lost as missing', async () => {
    const { machine, folder } = await backedUpMachine();
    try {
      const [point] = await points(machine);
      const [victim] = await storedObjects(point!.id);
      await svc.store.delete([packBlobKey(victim!.key_id, victim!.pack_id)]);
      const result = await machine.agent('verify', '--path', folder, '--sample', '100');
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        new RegExp(
          `^The recovery point of ${point!.takenAt} of '.+' is damaged: .+ is missing from the vault \\(object [0-9a-f]{16}\\)\\.\\n$`,
        ),
      );
      const job = (await verifyJobs(machine.vaultId)).at(-1);
      expect(job).toMatchObject({ kind: 'Verify', status: 'Failed' });
      expect(job.message).toMatch(/is missing from the vault \(object [0-9a-f]{16}\)\.$/);
    } finally {
      await machine.remove();
    }
  });
});
