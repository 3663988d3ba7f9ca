import { createHash, randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { readFileCache } from '@/agent/backup/cache';
import { readState } from '@/agent/state';
import * as commitRoute from '@/app/api/agent/backups/[sessionId]/commit/route';
import { PointReader } from '@/components/recovery/point-reader';
import { vaultJob } from '@/lib/jobs/history';
import { pointKey, pointObject } from '@/lib/restore/browse';
import { type Machine, PASSPHRASE, registeredMachine, routeFetch } from '@/testing/backups';
import { restoreRoutes } from '@/testing/restore';
import { type TestServices, testServices } from '@/testing/services';
import type { CommitRequest } from '@/wire/protocol';

/**
 * Backups that cannot read some files. Tests may run as root, whom chmod 000 does not stop, so the read failures
 * these tests make are ones the file system gives root too: a file deleted, and a large file replaced by a folder,
 * between the scan and the read (when the agent starts the backup in the portal, after its scan). The engine then
 * really fails to open (ENOENT) and to read (EISDIR) them. Run as another user, a file and a folder chmod 000 are
 * added: permission denied on a read and on a listing.
 */

let svc: TestServices;
beforeAll(async () => {
  svc = await testServices();
});
afterAll(() => svc.close());
afterEach(() => {
  vi.unstubAllGlobals();
});

const MiB = 1024 * 1024;
const asRoot = process.getuid?.() === 0;

type Hooks = {
  /** Runs once, when the agent starts its next backup (after its scan, before it reads a file). */
  afterScan?: () => Promise<void>;
  /** Sees the agent's commit before the portal does (the request is then handed on unchanged). */
  beforeCommit?: (body: CommitRequest, request: Request, sessionId: string) => Promise<void>;
};

/** A registered machine whose calls reach the portal's route handlers, with the hooks above. */
async function machineWithHooks(): Promise<{ machine: Machine; hooks: Hooks }> {
  const hooks: Hooks = {};
  const { fetch } = routeFetch(async (request) => {
    const { pathname } = new URL(request.url);
    if (request.method === 'POST' && pathname === '/api/agent/backups' && hooks.afterScan) {
      const hook = hooks.afterScan;
      hooks.afterScan = undefined;
      await hook();
    }
    const commit = /^\/api\/agent\/backups\/([^/]+)\/commit$/.exec(pathname);
    if (commit && hooks.beforeCommit) await hooks.beforeCommit(await request.clone().json(), request, commit[1]!);
    return restoreRoutes(request);
  });
  return { machine: await registeredMachine(svc, { fetch }), hooks };
}

type Snapshot = Record<string, string>;

/** Every entry below `root`: a file's content hash and mode, a folder's mode (and its entries, when it may be read). */
async function snapshot(root: string): Promise<Snapshot> {
  const out: Snapshot = {};
  const walk = async (dir: string, rel: string) => {
    for (const name of (await readdir(dir)).sort()) {
      const abs = path.join(dir, name);
      const key = rel ? `${rel}/${name}` : name;
      const st = await lstat(abs);
      if (st.isDirectory()) {
        out[key] = `dir ${(st.mode & 0o7777).toString(8)}`;
        if (st.mode & 0o400 || asRoot) await walk(abs, key);
      } else {
        const hash = createHash('sha256')
          .update(await readFile(abs))
          .digest('hex');
        out[key] = `file ${hash} ${(st.mode & 0o7777).toString(8)}`;
      }
    }
  };
  await walk(root, '');
  return out;
}

async function jobOf(vaultId: string) {
  const { rows } = await svc.pool.query(
    `select id, status, message, files_done, files_total, bytes_done, bytes_total, files_skipped, skipped_list_id
     from operations where vault_id = $1 and kind = 'Backup' order by started_at desc limit 1`,
    [vaultId],
  );
  return rows[0];
}

async function pointsOf(folder: string) {
  const { rows } = await svc.pool.query(
    `select p.id, p.item_id, p.files, p.bytes from recovery_points p join protected_items i on i.id = p.item_id
     where i.path = $1 order by p.taken_at`,
    [folder],
  );
  return rows;
}

async function alertsOf(vaultId: string) {
  const { rows } = await svc.pool.query(
    `select kind, severity, status, detail, job_id from alerts where vault_id = $1 order by created_at`,
    [vaultId],
  );
  return rows;
}

/** Every file of the blob store, and a dump of every table with the item's own path (its name, by contract) masked. */
async function everythingStored(folder: string): Promise<{ blobs: Buffer[]; tables: Record<string, string> }> {
  const blobs: Buffer[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else blobs.push(await readFile(full));
    }
  };
  await walk(path.join(svc.env.dataDir, 'backups'));
  const tables: Record<string, string> = {};
  const { rows } = await svc.pool.query<{ table_name: string }>(
    `select table_name from information_schema.tables where table_schema = 'public'`,
  );
  for (const { table_name } of rows) {
    tables[table_name] = JSON.stringify((await svc.pool.query(`select * from "${table_name}"`)).rows).replaceAll(
      folder,
      '<item>',
    );
  }
  return { blobs, tables };
}

describe('a backup that cannot read some files', () => {
  it('skips them with a warning: exit 0, the rest restores byte for byte, the job and its alert say how many, the names stay encrypted', async () => {
    const { machine, hooks } = await machineWithHooks();
    const marker = `SKIPPED${randomBytes(6).toString('hex')}`;
    const folder = path.join(machine.work, 'data');
    await mkdir(path.join(folder, 'docs', 'deep'), { recursive: true });
    for (let i = 0; i < 5; i++) await writeFile(path.join(folder, 'docs', `note-${i}.txt`), `note ${i}\n`.repeat(200));
    await writeFile(path.join(folder, 'docs', 'deep', 'kept.bin'), randomBytes(300 * 1024));
    await writeFile(path.join(folder, 'large.bin'), randomBytes(5 * MiB));
    // Deleted after the scan: a small file (read whole), and a large one (streamed) replaced by a folder.
    const vanished = path.join(folder, 'docs', `${marker}-vanished.txt`);
    await writeFile(vanished, `content of ${marker}\n`.repeat(100));
    const replaced = path.join(folder, `${marker}-replaced.bin`);
    await writeFile(replaced, randomBytes(6 * MiB));
    const expected = await snapshot(folder);
    delete expected[`docs/${marker}-vanished.txt`];
    delete expected[`${marker}-replaced.bin`];
    const skippedPaths = [`${marker}-replaced.bin`, `docs/${marker}-vanished.txt`];
    if (!asRoot) {
      // Permission denied: a file the agent may not read, and a folder it may not list (kept, empty).
      await writeFile(path.join(folder, `${marker}-locked.txt`), 'locked\n');
      await chmod(path.join(folder, `${marker}-locked.txt`), 0o000);
      await mkdir(path.join(folder, `${marker}-sealed`));
      await writeFile(path.join(folder, `${marker}-sealed`, 'inside.txt'), 'inside\n');
      await chmod(path.join(folder, `${marker}-sealed`), 0o000);
      expected[`${marker}-sealed`] = 'dir 0';
      skippedPaths.push(`${marker}-locked.txt`, `${marker}-sealed`);
      skippedPaths.sort();
    }
    expect((await machine.agent('protect', '--path', folder)).code).toBe(0);
    hooks.afterScan = async () => {
      await rm(vanished);
      await rm(replaced);
      await mkdir(replaced);
    };

    const backup = await machine.agent('backup');
    expect(backup.code).toBe(0);
    const count = skippedPaths.length;
    expect(backup.stdout).toBe(`Backup completed with warnings: ${count} files could not be read and were skipped.\n`);
    const lines = backup.stderr.trim().split('\n');
    expect(lines).toContain(`Skipped '${vanished}': it was deleted during the backup.`);
    expect(lines).toContain(`Skipped '${replaced}': it was replaced by a folder during the backup.`);
    if (!asRoot) {
      expect(lines).toContain(`Skipped '${path.join(folder, `${marker}-locked.txt`)}': permission denied.`);
      expect(lines).toContain(`Skipped '${path.join(folder, `${marker}-sealed`)}': permission denied.`);
    }
    expect(lines).toHaveLength(count);

    // The job: completed, what the point holds done, the skipped files counted and their list named.
    const job = await jobOf(machine.vaultId);
    const [point] = await pointsOf(folder);
    expect(job).toMatchObject({
      status: 'Succeeded',
      files_skipped: count,
      files_total: asRoot ? 9 : 10,
      files_done: 7,
      message: `The backup of '${folder}' on 'FILESERVER01' completed with warnings: ${count} files could not be read and were skipped.`,
    });
    expect(point.files).toBe(7);
    expect(Number(job.bytes_done)).toBe(Number(point.bytes));
    expect(Number(job.bytes_total) - Number(point.bytes)).toBe(
      100 * `content of ${marker}\n`.length + 6 * MiB + (asRoot ? 0 : 7),
    );
    expect(job.skipped_list_id).toMatch(/^[0-9a-f]{64}$/);
    const { rows: held } = await svc.pool.query(
      'select 1 from recovery_point_objects where point_id = $1 and object_id = $2',
      [point.id, job.skipped_list_id],
    );
    expect(held).toHaveLength(1);

    // The Warning alert, raised by the database as the job ended.
    expect(await alertsOf(machine.vaultId)).toEqual([
      {
        kind: 'BackupWarnings',
        severity: 'Warning',
        status: 'Active',
        detail: `${count} files could not be read and were skipped.`,
        job_id: job.id,
      },
    ]);

    // The file cache remembers what was read, never what was skipped.
    const state = await readState(machine.stateDir);
    const cache = await readFileCache(machine.stateDir, folder, state!.keyId!);
    expect([...cache.keys()].sort()).toEqual(
      ['docs/deep/kept.bin', ...[0, 1, 2, 3, 4].map((i) => `docs/note-${i}.txt`), 'large.bin'].sort(),
    );

    // Everything else restores byte for byte; the skipped files are absent.
    const target = path.join(machine.work, 'restored');
    const recovered = await machine.agent('recover', '--path', folder, '--target', target);
    expect(recovered.stderr).toBe('');
    expect(recovered.code).toBe(0);
    expect(await snapshot(target)).toEqual(expected);

    // No plaintext of the skipped names anywhere on the server: not the job, not the stored objects, no table.
    const stored = await everythingStored(folder);
    expect(stored.blobs.length).toBeGreaterThan(0);
    // The list's own sealed bytes, as the portal serves them, among what is searched.
    const sealedList = await pointObject(svc, machine.vaultId, point.item_id, point.id, job.skipped_list_id);
    expect(sealedList).not.toBeNull();
    stored.blobs.push(Buffer.from(sealedList!));
    for (const needle of [marker, Buffer.from(marker).toString('base64'), Buffer.from(marker).toString('hex')]) {
      for (const blob of stored.blobs) expect(blob.includes(needle), `${needle} in the blob store`).toBe(false);
      for (const [table, text] of Object.entries(stored.tables)) {
        expect(text.includes(needle), `${needle} in ${table}`).toBe(false);
      }
    }

    // The job's details name the point its list is read from; the browser's reader opens it with the passphrase,
    // through the same two endpoints the recovery-point browser reads (answered here from the same functions).
    const details = await vaultJob(svc.db, machine.vaultId, job.id);
    expect(details).toMatchObject({
      filesSkipped: count,
      skippedListId: job.skipped_list_id,
      skippedList: { itemId: point.item_id, pointId: point.id, listId: job.skipped_list_id },
    });
    const address = { vaultId: machine.vaultId, itemId: point.item_id, pointId: point.id };
    vi.stubGlobal('fetch', async (url: string) => {
      const base = `/api/vaults/${address.vaultId}/items/${address.itemId}/points/${address.pointId}`;
      if (url === base) return Response.json(await pointKey(svc.db, address.vaultId, address.itemId, address.pointId));
      const object = url.startsWith(`${base}/objects/`) ? url.slice(base.length + 9) : '';
      const sealed = object && (await pointObject(svc, address.vaultId, address.itemId, address.pointId, object));
      return sealed ? new Response(sealed as Uint8Array<ArrayBuffer>) : Response.json({}, { status: 404 });
    });
    await expect(PointReader.open(address, 'not the passphrase of this server')).rejects.toThrow(
      'The passphrase is incorrect.',
    );
    const reader = await PointReader.open(address, PASSPHRASE);
    const list = await reader.skippedFiles(job.skipped_list_id);
    expect(list.more).toBe(0);
    expect(list.files.map((file) => file.path)).toEqual(skippedPaths);
    expect(list.files.find((file) => file.path.endsWith('-vanished.txt'))?.reason).toBe(
      'it was deleted during the backup',
    );
    if (!asRoot) {
      await chmod(path.join(folder, `${marker}-sealed`), 0o700);
      await chmod(path.join(target, `${marker}-sealed`), 0o700);
    }
    await machine.remove();
  });

  it('reports the count with --json, adds up its progress, and the next clean backup resolves the warning', async () => {
    const { machine, hooks } = await machineWithHooks();
    const folder = path.join(machine.work, 'data');
    await mkdir(folder);
    for (let i = 0; i < 4; i++) await writeFile(path.join(folder, `file-${i}.txt`), `file ${i}\n`.repeat(1000));
    const vanished = path.join(folder, 'file-2.txt');
    expect((await machine.agent('protect', '--path', folder)).code).toBe(0);
    hooks.afterScan = () => rm(vanished);

    const first = await machine.agent('backup', '--json');
    expect(first.code).toBe(0);
    expect(first.stderr).toBe(`Skipped '${vanished}': it was deleted during the backup.\n`);
    const events = first.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const last = events.at(-1);
    expect(last).toMatchObject({ event: 'completed', skipped: 1, items: [{ path: folder, skipped: 1 }] });
    const progress = events.filter((event) => event.event === 'progress').at(-1);
    expect(progress).toMatchObject({ filesDone: 4, filesTotal: 4 });
    expect(progress.bytesDone).toBe(progress.bytesTotal);
    expect(await jobOf(machine.vaultId)).toMatchObject({ status: 'Succeeded', files_skipped: 1, files_done: 3 });
    expect(await alertsOf(machine.vaultId)).toMatchObject([
      {
        kind: 'BackupWarnings',
        severity: 'Warning',
        status: 'Active',
        detail: '1 file could not be read and was skipped.',
      },
    ]);

    // The file is back: the next backup reads it (the cache never held it), skips nothing, and resolves the alert.
    await writeFile(vanished, 'file 2\n'.repeat(1000));
    const second = await machine.agent('backup');
    expect(second.stderr).toBe('');
    expect(second.stdout).toBe('Backup completed.\n');
    const job = await jobOf(machine.vaultId);
    expect(job).toMatchObject({ status: 'Succeeded', files_skipped: null, skipped_list_id: null, files_done: 4 });
    expect(job.message).toBe(`The backup of '${folder}' on 'FILESERVER01' completed.`);
    expect(await alertsOf(machine.vaultId)).toMatchObject([{ kind: 'BackupWarnings', status: 'Resolved' }]);
    expect((await pointsOf(folder)).map((point) => point.files)).toEqual([3, 4]);
    await machine.remove();
  });

  it('refuses a commit whose skipped files do not add up, and changes nothing', async () => {
    const { machine, hooks } = await machineWithHooks();
    const folder = path.join(machine.work, 'data');
    await mkdir(folder);
    for (let i = 0; i < 3; i++) await writeFile(path.join(folder, `file-${i}.txt`), `file ${i}\n`);
    expect((await machine.agent('protect', '--path', folder)).code).toBe(0);
    hooks.afterScan = () => rm(path.join(folder, 'file-0.txt'));
    const refusals: Array<{ status: number; error: { code: string; message: string } }> = [];
    hooks.beforeCommit = async (body, request, sessionId) => {
      hooks.beforeCommit = undefined;
      expect(body).toMatchObject({ filesSkipped: 1, files: 2 });
      expect(body.objectIds).toContain(body.skippedListId);
      const elsewhere = 'ab'.repeat(32);
      const { skippedListId: _id, ...withoutList } = body;
      const tampered: unknown[] = [
        { ...body, filesSkipped: -1 },
        { ...body, filesSkipped: 1.5 },
        { ...body, filesSkipped: '1' },
        { ...body, skippedListId: 'not-an-id' },
        { ...body, skippedListId: elsewhere },
        { ...body, filesSkipped: 0 },
        withoutList,
        { ...withoutList, filesSkipped: undefined, skippedListId: body.skippedListId },
        // More than the 3 files and 0 folders the backup counted.
        { ...body, filesSkipped: 4 },
      ];
      for (const attempt of tampered) {
        const response = await commitRoute.POST(
          new Request(request.url, {
            method: 'POST',
            headers: { authorization: request.headers.get('authorization')!, 'content-type': 'application/json' },
            body: JSON.stringify(attempt),
          }),
          { params: Promise.resolve({ sessionId }) },
        );
        refusals.push({ status: response.status, ...(await response.json()) });
      }
      expect(await pointsOf(folder)).toEqual([]);
      expect(await jobOf(machine.vaultId)).toMatchObject({
        status: 'InProgress',
        files_skipped: null,
        skipped_list_id: null,
      });
      expect(await alertsOf(machine.vaultId)).toEqual([]);
    };

    const backup = await machine.agent('backup');
    expect(backup.code).toBe(0);
    expect(refusals).toHaveLength(9);
    for (const refusal of refusals) expect(refusal).toMatchObject({ status: 400, error: { code: 'bad_request' } });
    expect(refusals.map((refusal) => refusal.error.message)).toEqual([
      expect.stringMatching(/^The recovery point is not valid: filesSkipped /),
      expect.stringMatching(/^The recovery point is not valid: filesSkipped /),
      expect.stringMatching(/^The recovery point is not valid: filesSkipped /),
      expect.stringMatching(/^The recovery point is not valid: skippedListId must be 64 lowercase hex digits/),
      'The recovery point must list the object that lists its skipped files.',
      'The recovery point is not valid: filesSkipped and skippedListId go together, for a backup that skipped files.',
      'The recovery point is not valid: filesSkipped and skippedListId go together, for a backup that skipped files.',
      'The recovery point is not valid: filesSkipped and skippedListId go together, for a backup that skipped files.',
      'The recovery point is not valid: it skipped 4 files of the 3 files and 0 folders the backup counted.',
    ]);
    // The agent's own commit then went through.
    expect(await jobOf(machine.vaultId)).toMatchObject({ status: 'Succeeded', files_skipped: 1 });
    expect(await pointsOf(folder)).toHaveLength(1);
    await machine.remove();
  });
});
