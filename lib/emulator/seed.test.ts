import { randomBytes } from 'node:crypto';
import { lstat, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { PointReader } from '@/components/recovery/point-reader';
import { authenticate, loadUser, type PortalUser } from '@/lib/auth/users';
import { listProtectedItems } from '@/lib/backups/portal';
import { PortalError } from '@/lib/errors';
import { pointKey, pointObject } from '@/lib/restore/browse';
import { registeredMachine, routeFetch } from '@/testing/backups';
import { restoreRoutes } from '@/testing/restore';
import { createTestUser, type TestServices, testServices } from '@/testing/services';
import { SEED_KDF, SEED_PASSPHRASE, type SeedResult, seedEmulator } from './seed';

let svc: TestServices;
let adminUser: PortalUser;
let admin: { id: string; subscriptionId: string };

beforeAll(async () => {
  svc = await testServices();
  adminUser = await createTestUser(svc);
  admin = { id: adminUser.id, subscriptionId: adminUser.subscriptions[0]!.id };
});
afterAll(() => svc.close());
afterEach(() => {
  vi.unstubAllGlobals();
});

const PASSPHRASE = 'correct horse battery staple, seeded';
const marker = `SEEDMARK${randomBytes(6).toString('hex')}`;
// About 2.7 MB: cut by the chunker (256 KiB to 8 MiB, 512 KiB on average) into several chunks, as the agent cuts it.
const big = `${marker}-big ${randomBytes(2 * 1024 * 1024).toString('base64')}`;
const first: Record<string, string> = {
  [`${marker}-readme.txt`]: `hello from ${marker}\n`,
  [`docs/deep/${marker}-report.txt`]: `quarterly figures ${marker}\n`.repeat(50),
  [`Ünïcødé ${marker} – файл.txt`]: `non-ASCII name, content ${marker} ✓\n`,
  'docs/empty.txt': '',
  [`docs/${marker}-nothing-here/`]: '',
  'big.bin': big,
};
const second: Record<string, string> = {
  ...first,
  [`${marker}-readme.txt`]: `hello again from ${marker}\n`,
  [`docs/${marker}-added.txt`]: `added in the second point ${marker}\n`,
};
const FIRST_AT = '2026-03-01T22:00:00.000Z';
const SECOND_AT = '2026-03-02T22:00:00.000Z';
const ITEM = '/srv/seeded/data';

/** Browses a point as the recovery-point browser does, through the two endpoints it reads (answered by their functions). */
function routeBrowserReads(vaultId: string) {
  vi.stubGlobal('fetch', async (url: string) => {
    const match = /^\/api\/vaults\/([^/]+)\/items\/([^/]+)\/points\/([^/]+)(?:\/objects\/([0-9a-f]{64}))?$/.exec(url);
    if (!match || match[1] !== vaultId) return Response.json({}, { status: 404 });
    const [, , itemId, pointId, objectId] = match as unknown as string[];
    if (!objectId) {
      const key = await pointKey(svc.db, vaultId, itemId!, pointId!);
      return key ? Response.json(key) : Response.json({}, { status: 404 });
    }
    const sealed = await pointObject(svc, vaultId, itemId!, pointId!, objectId);
    return sealed ? new Response(sealed as Uint8Array<ArrayBuffer>) : Response.json({}, { status: 404 });
  });
}

/** Every file and folder of a point as the browser reads it: `{"a/b.txt": content, "a/": ""}`, with modes and times. */
async function browse(reader: PointReader) {
  const files: Record<string, string> = {};
  const meta: Record<string, { mode: number; mtimeMs: number }> = {};
  const walk = async (tree: string, prefix: string) => {
    const entries = await reader.entries(tree);
    for (const entry of entries) {
      const rel = `${prefix}${entry.name}`;
      meta[rel] = { mode: entry.mode, mtimeMs: entry.mtimeMs };
      if (entry.type === 'dir') {
        const before = Object.keys(files).length;
        await walk(entry.tree!, `${rel}/`);
        if (Object.keys(files).length === before) files[`${rel}/`] = '';
      } else {
        const bytes = Buffer.from(await new Response(reader.fileStream(entry)).arrayBuffer());
        expect(bytes.length).toBe(entry.size);
        files[rel] = bytes.toString('utf8');
      }
    }
  };
  await walk(reader.rootId, '');
  return { files, meta };
}

/** The files below a folder on disk, as `{"a/b.txt": content, "empty/": ""}`. */
async function onDisk(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (dir: string, rel: string) => {
    const names = await readdir(dir);
    if (names.length === 0 && rel) out[`${rel}/`] = '';
    for (const name of names) {
      const abs = path.join(dir, name);
      const key = rel ? `${rel}/${name}` : name;
      if ((await lstat(abs)).isDirectory()) await walk(abs, key);
      else out[key] = await readFile(abs, 'utf8');
    }
  };
  await walk(root, '');
  return out;
}

/** A seed's `files` (or what was read back) in one order, to compare. */
const sorted = (files: Record<string, string>) =>
  Object.fromEntries(Object.entries(files).sort(([a], [b]) => (a < b ? -1 : 1)));

const TABLES = [
  'users',
  'memberships',
  'subscriptions',
  'vaults',
  'backup_policies',
  'registered_servers',
  'backup_keys',
  'protected_items',
  'backup_objects',
  'recovery_points',
  'recovery_point_objects',
  'operations',
  'operation_logs',
  'alerts',
  'alert_deliveries',
];

async function blobFiles(): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else out.push(full);
    }
  };
  await walk(path.join(svc.env.dataDir, 'backups'));
  return out;
}

async function counts(): Promise<Record<string, number | string>> {
  const out: Record<string, number | string> = {};
  for (const table of TABLES) {
    out[table] = (await svc.pool.query<{ n: number }>(`select count(*)::int as n from "${table}"`)).rows[0]!.n;
  }
  out.vaultCounts = JSON.stringify(
    (await svc.pool.query('select id, vault_count from subscriptions order by id')).rows,
  );
  out.blobs = (await blobFiles()).length;
  return out;
}

describe('seedEmulator', () => {
  let seeded: SeedResult;

  it('makes a vault, its server, an item and two points of real encrypted data the browser opens with the passphrase', async () => {
    seeded = await seedEmulator(svc, admin, {
      vaults: [
        {
          name: 'seeded-vault',
          servers: [
            {
              name: 'SEEDED01',
              passphrase: PASSPHRASE,
              items: [
                {
                  path: ITEM,
                  points: [
                    { takenAt: SECOND_AT, files: second },
                    { takenAt: FIRST_AT, files: first },
                  ],
                },
              ],
            },
          ],
        },
      ],
    });
    const [vault] = seeded.vaults;
    expect(vault).toMatchObject({ name: 'seeded-vault', servers: [{ name: 'SEEDED01', items: [{ path: ITEM }] }] });
    const item = vault!.servers[0]!.items[0]!;
    expect(item.points.map((p) => p.takenAt)).toEqual([SECOND_AT, FIRST_AT]);
    expect(item.jobs).toHaveLength(2);

    // The vault: Active, in the admin's subscription, quick create's defaults, counted, with its DefaultPolicy.
    const { rows: vaults } = await svc.pool.query(
      `select v.status, v.region, v.storage_replication, v.replication_locked, v.subscription_id, s.vault_count,
         (select count(*)::int from backup_policies p where p.vault_id = v.id and p.name = 'DefaultPolicy') as policies
       from vaults v join subscriptions s on s.id = v.subscription_id where v.id = $1`,
      [vault!.id],
    );
    expect(vaults).toEqual([
      {
        status: 'Active',
        region: 'westus',
        storage_replication: 'GeoRedundant',
        replication_locked: true,
        subscription_id: admin.subscriptionId,
        vault_count: 1,
        policies: 1,
      },
    ]);
    const { rows: servers } = await svc.pool.query(
      'select machine_public_key, last_backup_at from registered_servers where id = $1',
      [vault!.servers[0]!.id],
    );
    expect(servers[0].machine_public_key).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    expect(servers[0].last_backup_at.toISOString()).toBe(SECOND_AT);
    const { rows: keys } = await svc.pool.query('select wrapped_key from backup_keys where server_id = $1', [
      vault!.servers[0]!.id,
    ]);
    expect(keys[0].wrapped_key.kdf).toMatchObject({ algorithm: 'argon2id', ...SEED_KDF });

    // PROTECTED ITEMS.
    expect(await listProtectedItems(svc.db, vault!.id)).toMatchObject([
      {
        id: item.id,
        path: ITEM,
        serverName: 'SEEDED01',
        status: 'Protected',
        recoveryPoints: 2,
        newestPoint: new Date(SECOND_AT),
        lastBackupStatus: 'Completed',
        backupRunning: false,
        policyName: 'DefaultPolicy',
      },
    ]);

    // The points' figures, and each one's Backup job.
    const { rows: points } = await svc.pool.query(
      'select id, taken_at, files, folders, bytes from recovery_points where item_id = $1 order by taken_at',
      [item.id],
    );
    const size = (files: Record<string, string>) =>
      Object.entries(files).reduce((n, [k, v]) => n + (k.endsWith('/') ? 0 : Buffer.byteLength(v)), 0);
    expect(points.map((p) => ({ ...p, bytes: Number(p.bytes) }))).toEqual([
      { id: item.points[1]!.id, taken_at: new Date(FIRST_AT), files: 5, folders: 3, bytes: size(first) },
      { id: item.points[0]!.id, taken_at: new Date(SECOND_AT), files: 6, folders: 3, bytes: size(second) },
    ]);
    const { rows: jobs } = await svc.pool.query(
      `select kind, status, message, started_at, ended_at, files_done, bytes_done, data_transferred
       from operations where item_id = $1 order by started_at`,
      [item.id],
    );
    expect(jobs).toMatchObject([
      {
        kind: 'Backup',
        status: 'Succeeded',
        message: `The backup of '${ITEM}' on 'SEEDED01' completed.`,
        started_at: new Date(FIRST_AT),
        ended_at: new Date(FIRST_AT),
        files_done: 5,
      },
      { kind: 'Backup', status: 'Succeeded', started_at: new Date(SECOND_AT), files_done: 6 },
    ]);
    // The second point sent only what changed: the big file's chunks are the first point's.
    expect(Number(jobs[1].data_transferred)).toBeLessThan(10_000);
    expect(Number(jobs[0].data_transferred)).toBeGreaterThan(450 * 1024);

    // The recovery-point browser's reader opens both points with the passphrase, byte for byte.
    routeBrowserReads(vault!.id);
    const address = { vaultId: vault!.id, itemId: item.id, pointId: item.points[0]!.id };
    await expect(PointReader.open(address, 'not the passphrase')).rejects.toThrow('The passphrase is incorrect.');
    await expect(PointReader.open(address, SEED_PASSPHRASE)).rejects.toThrow('The passphrase is incorrect.');
    const latest = await browse(await PointReader.open(address, PASSPHRASE));
    expect(sorted(latest.files)).toEqual(sorted(second));
    expect(latest.meta[`Ünïcødé ${marker} – файл.txt`]).toEqual({ mode: 0o644, mtimeMs: Date.parse(SECOND_AT) });
    expect(latest.meta.docs).toEqual({ mode: 0o755, mtimeMs: Date.parse(SECOND_AT) });
    const older = await browse(await PointReader.open({ ...address, pointId: item.points[1]!.id }, PASSPHRASE));
    expect(sorted(older.files)).toEqual(sorted(first));
    // The big file is more than one chunk, each stored once for both points.
    const bigEntry = (
      await (
        await PointReader.open(address, PASSPHRASE)
      ).entries((await pointKey(svc.db, vault!.id, item.id, item.points[0]!.id))!.rootId)
    ).find((e) => e.name === 'big.bin');
    expect(bigEntry!.chunks!.length).toBeGreaterThan(1);
  });

  it('the real agent restores a seeded point with --from-server and the passphrase, byte for byte', async () => {
    const [vault] = seeded.vaults;
    const machine = await registeredMachine(svc, {
      user: adminUser,
      vaultId: vault!.id,
      name: 'RESTORER01',
      fetch: routeFetch(restoreRoutes).fetch,
    });
    try {
      const passphraseFile = path.join(machine.work, 'seeded-passphrase.txt');
      await writeFile(passphraseFile, `${PASSPHRASE}\n`);
      const target = path.join(machine.work, 'restored');
      const recovered = await machine.agent(
        'recover',
        '--from-server',
        'SEEDED01',
        '--passphrase-file',
        passphraseFile,
        '--path',
        ITEM,
        '--target',
        target,
      );
      expect(recovered.stderr).toBe('');
      expect(recovered.code).toBe(0);
      expect(sorted(await onDisk(target))).toEqual(sorted(second));
      const st = await lstat(path.join(target, `Ünïcødé ${marker} – файл.txt`));
      expect(Math.abs(st.mtimeMs - Date.parse(SECOND_AT))).toBeLessThan(1000);
      expect(st.mode & 0o777).toBe(0o644);

      const older = path.join(machine.work, 'older');
      const again = await machine.agent(
        'recover',
        '--from-server',
        'SEEDED01',
        '--passphrase-file',
        passphraseFile,
        '--path',
        ITEM,
        '--point',
        FIRST_AT,
        '--target',
        older,
      );
      expect(again.code).toBe(0);
      expect(sorted(await onDisk(older))).toEqual(sorted(first));

      const wrong = path.join(machine.work, 'wrong.txt');
      await writeFile(wrong, 'not it\n');
      const refused = await machine.agent(
        'recover',
        '--from-server',
        'SEEDED01',
        '--passphrase-file',
        wrong,
        '--path',
        ITEM,
        '--target',
        path.join(machine.work, 'never'),
      );
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain('The passphrase is incorrect.');
    } finally {
      await machine.remove();
    }
  });

  it('keeps no plaintext name or content of the seeded files on the server', async () => {
    const blobs = await Promise.all((await blobFiles()).map((file) => readFile(file)));
    expect(blobs.length).toBeGreaterThan(0);
    const { rows } = await svc.pool.query<{ table_name: string }>(
      `select table_name from information_schema.tables where table_schema = 'public'`,
    );
    const tables: Record<string, string> = {};
    for (const { table_name } of rows) {
      tables[table_name] = JSON.stringify((await svc.pool.query(`select * from "${table_name}"`)).rows);
    }
    const needles = [marker, 'файл', 'Ünïcødé', 'quarterly figures', big.slice(marker.length + 5, marker.length + 69)];
    for (const text of needles) {
      for (const needle of [text, Buffer.from(text).toString('base64'), Buffer.from(text).toString('hex')]) {
        for (const blob of blobs) expect(blob.includes(needle), `${needle} in the blob store`).toBe(false);
        for (const [table, dump] of Object.entries(tables))
          expect(dump.includes(needle), `${needle} in ${table}`).toBe(false);
      }
    }
  });

  it('seeds jobs (a failed backup raising its alert) and users who can sign in with their role', async () => {
    const other = await createTestUser(svc);
    const result = await seedEmulator(svc, admin, {
      vaults: [
        {
          name: 'jobs-vault',
          region: 'northeurope',
          subscriptionId: other.subscriptions[0]!.id,
          storageReplication: 'LocallyRedundant',
          servers: [
            {
              name: 'JOBS01',
              items: [
                {
                  path: 'C:\\Data',
                  points: [{ takenAt: '2026-04-01T10:00:00Z', files: { 'a.txt': 'a' } }],
                  jobs: [
                    {
                      operation: 'Backup',
                      status: 'Completed',
                      startedAt: '2026-04-01T10:00:00Z',
                      endedAt: '2026-04-01T10:05:00Z',
                    },
                    {
                      operation: 'Backup',
                      status: 'Failed',
                      startedAt: '2026-04-02T10:00:00Z',
                      endedAt: '2026-04-02T10:01:00Z',
                      error: 'The disk is full.',
                    },
                    {
                      operation: 'Restore',
                      status: 'Completed',
                      startedAt: '2026-04-02T11:00:00Z',
                      endedAt: '2026-04-02T11:02:00Z',
                    },
                    { operation: 'Backup', status: 'Cancelled', startedAt: '2026-04-02T12:00:00Z' },
                    { operation: 'Backup', status: 'In progress', startedAt: '2026-04-03T10:00:00Z' },
                    { operation: 'Restore', status: 'InProgress', startedAt: '2026-04-03T10:30:00Z' },
                  ],
                },
                { path: '/srv/never-backed-up' },
              ],
            },
          ],
        },
      ],
      users: [
        { email: 'Reader@Example.com', password: 'reader-password', role: 'Reader' },
        {
          email: 'contributor@example.com',
          password: 'contrib-password',
          role: 'Contributor',
          subscriptionId: other.subscriptions[0]!.id,
        },
      ],
    });
    const vault = result.vaults[0]!;
    const [item, pending] = vault.servers[0]!.items;
    expect(item!.jobs).toHaveLength(6);
    expect(pending!.points).toEqual([]);
    const { rows: jobs } = await svc.pool.query(
      `select id, kind, status, message, progress, started_at, ended_at from operations where vault_id = $1 order by started_at`,
      [vault.id],
    );
    expect(jobs.map((j) => j.id)).toEqual(item!.jobs.map((j) => j.id));
    expect(jobs).toMatchObject([
      {
        kind: 'Backup',
        status: 'Succeeded',
        message: "The backup of 'C:\\Data' on 'JOBS01' completed.",
        progress: 100,
        ended_at: new Date('2026-04-01T10:05:00Z'),
      },
      { kind: 'Backup', status: 'Failed', message: "The backup of 'C:\\Data' on 'JOBS01' failed: The disk is full." },
      { kind: 'Restore', status: 'Succeeded', message: "The restore of 'C:\\Data' on 'JOBS01' completed." },
      { kind: 'Backup', status: 'Cancelled', ended_at: new Date('2026-04-02T12:00:00Z') },
      { kind: 'Backup', status: 'InProgress', progress: 0, ended_at: null },
      { kind: 'Restore', status: 'InProgress', ended_at: null },
    ]);
    const { rows: alerts } = await svc.pool.query(
      'select kind, status, detail, job_id from alerts where vault_id = $1',
      [vault.id],
    );
    expect(alerts).toEqual([{ kind: 'BackupFailure', status: 'Active', detail: jobs[1].message, job_id: jobs[1].id }]);
    const listed = await listProtectedItems(svc.db, vault.id);
    expect(listed.find((row) => row.id === pending!.id)).toMatchObject({
      path: '/srv/never-backed-up',
      status: 'Pending',
      recoveryPoints: 0,
      lastBackupStatus: null,
    });
    expect(listed.find((row) => row.id === item!.id)).toMatchObject({
      path: 'C:\\Data',
      status: 'Protected',
      recoveryPoints: 1,
      lastBackupStatus: 'Cancelled',
    });
    const { rows: vaults } = await svc.pool.query(
      'select region, storage_replication, subscription_id from vaults where id = $1',
      [vault.id],
    );
    expect(vaults).toEqual([
      { region: 'northeurope', storage_replication: 'LocallyRedundant', subscription_id: other.subscriptions[0]!.id },
    ]);

    expect(result.users.map((u) => u.email)).toEqual(['reader@example.com', 'contributor@example.com']);
    const reader = await authenticate('reader@example.com', 'reader-password', svc.db);
    expect(reader?.id).toBe(result.users[0]!.id);
    expect(await authenticate('reader@example.com', 'wrong-password', svc.db)).toBeNull();
    expect((await loadUser(result.users[0]!.id, svc.db))?.subscriptions).toMatchObject([
      { id: admin.subscriptionId, role: 'Reader' },
    ]);
    expect((await loadUser(result.users[1]!.id, svc.db))?.subscriptions).toMatchObject([
      { id: other.subscriptions[0]!.id, role: 'Contributor' },
    ]);
  });

  it('refuses a bad seed with a clear message and changes nothing', async () => {
    const crowded = await createTestUser(svc);
    const before = await counts();
    const server = (name: string, extra: object = {}) => ({
      name,
      items: [{ path: '/data', points: [{ takenAt: '2026-01-01T00:00:00Z', files: { 'f.txt': 'x' } }] }],
      ...extra,
    });
    const refusals: Array<[unknown, string, string]> = [
      [
        { vaults: [{ name: 'ok-vault', region: 'marsnorth' }] },
        'invalid',
        'vaults[0].region: "marsnorth" is not a region: use one of westus, eastus,',
      ],
      [
        { vaults: [{ name: 'seeded-vault', servers: [server('S1')] }] },
        'conflict',
        "vaults[0].name: A backup vault named 'seeded-vault' already exists in this subscription.",
      ],
      [
        { vaults: [{ name: 'twice' }, { name: 'TWICE' }] },
        'invalid',
        "vaults[1].name: 'TWICE' is given twice in one subscription",
      ],
      [
        { vaults: [{ name: '1bad' }] },
        'invalid',
        'vaults[0].name: Type a name that contains between 2 and 50 characters.',
      ],
      [
        { vaults: [{ name: 'ok-vault', servers: [server('bad name!')] }] },
        'invalid',
        'vaults[0].servers[0].name: must be 1-63 letters',
      ],
      [
        { vaults: [{ name: 'ok-vault', servers: [server('S1'), server('s1')] }] },
        'invalid',
        "vaults[0].servers[1].name: 's1' is given twice",
      ],
      [
        { vaults: [{ name: 'ok-vault', subscriptionId: '00000000-0000-4000-8000-000000000000' }] },
        'not_found',
        'vaults[0].subscriptionId: no subscription has the id',
      ],
      [
        { vaults: [{ name: 'ok-vault', servers: [{ name: 'S1', items: [{ path: 'relative/path' }] }] }] },
        'invalid',
        'vaults[0].servers[0].items[0].path: must be an absolute path',
      ],
      [
        {
          vaults: [
            {
              name: 'ok-vault',
              servers: [
                {
                  name: 'S1',
                  items: [
                    { path: '/d', points: [{ takenAt: '2026-01-01T00:00:00Z', files: { '../escape.txt': 'x' } }] },
                  ],
                },
              ],
            },
          ],
        },
        'invalid',
        "vaults[0].servers[0].items[0].points[0].files: '../escape.txt' is not a relative path",
      ],
      [
        {
          vaults: [
            {
              name: 'ok-vault',
              servers: [
                {
                  name: 'S1',
                  items: [{ path: '/d', points: [{ takenAt: '2026-01-01T00:00:00Z', files: { a: 'x', 'a/b': 'y' } }] }],
                },
              ],
            },
          ],
        },
        'invalid',
        "vaults[0].servers[0].items[0].points[0].files: 'a/b' is inside 'a', which is a file.",
      ],
      [
        {
          vaults: [
            {
              name: 'ok-vault',
              servers: [{ name: 'S1', items: [{ path: '/d', points: [{ takenAt: 'yesterday', files: {} }] }] }],
            },
          ],
        },
        'invalid',
        'vaults[0].servers[0].items[0].points[0].takenAt: must be a time such as 2026-01-31T22:00:00Z',
      ],
      [
        {
          vaults: [
            {
              name: 'ok-vault',
              servers: [
                {
                  name: 'S1',
                  items: [
                    {
                      path: '/d',
                      jobs: [
                        {
                          operation: 'Backup',
                          status: 'In progress',
                          startedAt: '2026-01-01T00:00:00Z',
                          endedAt: '2026-01-01T00:00:01Z',
                        },
                      ],
                    },
                  ],
                },
              ],
            },
          ],
        },
        'invalid',
        'vaults[0].servers[0].items[0].jobs[0].endedAt: a job in progress has not ended',
      ],
      [
        {
          vaults: [
            {
              name: 'ok-vault',
              servers: [
                {
                  name: 'S1',
                  items: [
                    {
                      path: '/d',
                      jobs: [{ operation: 'Delete', status: 'Completed', startedAt: '2026-01-01T00:00:00Z' }],
                    },
                  ],
                },
              ],
            },
          ],
        },
        'invalid',
        "vaults[0].servers[0].items[0].jobs[0].operation: must be 'Backup' or 'Restore'",
      ],
      [
        { vaults: [{ name: 'ok-vault', servers: [{ name: 'S1', passphase: 'typo' }] }] },
        'invalid',
        'vaults[0].servers[0]: Unrecognized key: "passphase"',
      ],
      [
        { vaults: [{ name: 'ok-vault' }], users: [{ email: adminUser.email, password: 'x', role: 'Reader' }] },
        'conflict',
        `users[0].email: an account for ${adminUser.email} already exists.`,
      ],
      [
        { users: [{ email: 'new@example.com', password: 'x', role: 'Admin' }] },
        'invalid',
        'users[0].role: must be Owner, Contributor, Reader',
      ],
      [
        { users: [{ email: 'not an email', password: 'x', role: 'Reader' }] },
        'invalid',
        'users[0].email: Type an email address',
      ],
      ['nonsense', 'invalid', 'The seed is not valid: '],
      // The 26th vault of a subscription, refused by the database after users, vaults and packs were written: all undone.
      [
        {
          users: [
            {
              email: 'late@example.com',
              password: 'late-password',
              role: 'Owner',
              subscriptionId: crowded.subscriptions[0]!.id,
            },
          ],
          vaults: Array.from({ length: 26 }, (_, i) => ({
            name: `crowd-${i}`,
            subscriptionId: crowded.subscriptions[0]!.id,
            servers: i === 0 ? [server('CROWD01')] : [],
          })),
        },
        'quota_exceeded',
        'This subscription already has 25 backup vaults, the most it can hold.',
      ],
    ];
    for (const [input, code, message] of refusals) {
      const error = await seedEmulator(svc, admin, input).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, JSON.stringify(input).slice(0, 200)).toBeInstanceOf(PortalError);
      expect((error as PortalError).code, (error as PortalError).message).toBe(code);
      expect((error as PortalError).message.startsWith(message), (error as PortalError).message).toBe(true);
    }
    const after = await counts();
    // Not a row, and not a pack: every refusal here comes before the packs are written (a failure after them would
    // leave packs without rows, which garbage collection sweeps).
    expect(after).toEqual(before);
  });

  it('seeds 10 vaults, each with a server, an item and 10 points, quickly', async () => {
    const vaults = Array.from({ length: 10 }, (_, v) => ({
      name: `timed-${v}`,
      subscriptionId: undefined as string | undefined,
      servers: [
        {
          name: `TIMED${v}`,
          items: [
            {
              path: `/srv/timed-${v}`,
              points: Array.from({ length: 10 }, (_, p) => ({
                takenAt: new Date(Date.UTC(2026, 4, 1 + p, 22)).toISOString(),
                files: {
                  'readme.txt': 'the same every day\n',
                  'docs/notes.md': `# notes\n${'line\n'.repeat(200)}`,
                  [`daily/report-${p}.txt`]: `report of day ${p}\n`.repeat(20),
                  'data/state.json': JSON.stringify({ day: p, vault: v }),
                  'data/empty/': '',
                },
              })),
            },
          ],
        },
      ],
    }));
    const owner = await createTestUser(svc);
    for (const vault of vaults) vault.subscriptionId = owner.subscriptions[0]!.id;
    const started = performance.now();
    const result = await seedEmulator(svc, admin, { vaults });
    const ms = performance.now() - started;
    console.log(`seeded 10 vaults x 1 server x 1 item x 10 points in ${ms.toFixed(0)} ms`);
    expect(result.vaults).toHaveLength(10);
    const { rows } = await svc.pool.query(
      `select count(*)::int as points from recovery_points p join vaults v on v.id = p.vault_id where v.subscription_id = $1`,
      [owner.subscriptions[0]!.id],
    );
    expect(rows[0].points).toBe(100);
  });
});
