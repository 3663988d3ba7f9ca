import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { readState } from '@/agent/state';
import { createDatabase, withTransaction } from '@/db/client';
import { storeUnavailable } from '@/lib/backups/object-batches';
import { packIdOf } from '@/lib/backups/packs';
import { keyPrefix } from '@/lib/backups/store';
import { type BlobStore, FileBlobStore } from '@/lib/blob-store';
import { NewFile } from '@/lib/direct-io';
import { databaseUnavailable } from '@/lib/errors';
import { agentRefusal, DATABASE_UNAVAILABLE } from '@/lib/registration/refusal';
import type { Services } from '@/lib/services';
import { type Machine, registeredMachine } from '@/testing/backups';
import { agentApi } from '@/testing/faults/agent-api';
import {
  type AgentRun,
  agentRun,
  completedBackup,
  pointAgentAt,
  sharedFiles,
  writeFolder,
} from '@/testing/faults/agents';
import {
  auditPacks,
  collectHoursLater,
  type Figures,
  figuresTable,
  jobsOf,
  pointsOf,
  restoreEveryPoint,
  sweepAndCountStuck,
} from '@/testing/faults/audit';
import { killPortals, type PortalProcess, startPortalProcess } from '@/testing/faults/portal-process';
import { S3FaultProxy } from '@/testing/faults/s3-faults';
import { freePort, TcpProxy } from '@/testing/faults/tcp-proxy';
import { startS3rver } from '@/testing/s3rver';
import { type TestServices, testServices } from '@/testing/services';
import { AGENT_MESSAGES } from '@/wire/protocol';

// The fault suite: real agents (in this process, over real HTTP on loopback) backing up to the portal's real code on
// a real database and store while something breaks: the portal process killed (SIGKILL) and started again, the
// database's connections cut, the store's disk full, an S3 store throttling. Each scenario has its own database, store
// and data, and ends with the same checks: every recovery point restores byte for byte, no job is left In progress
// once the heartbeat timeout has passed, the next backup succeeds and reuses what is stored, and garbage collection
// leaves no orphan pack and deletes no needed one. The figures are printed at the end.

const figures: Figures[] = [];
const cleanups: Array<() => Promise<unknown>> = [];

function later(cleanup: () => Promise<unknown>) {
  cleanups.push(cleanup);
}

afterEach(async () => {
  await killPortals();
  while (cleanups.length > 0) {
    await cleanups.pop()!().catch((error: unknown) => console.error('cleanup failed:', error));
  }
});

afterAll(() => {
  if (figures.length > 0)
    console.log(`\nFault suite figures (goal: 0 lost or corrupt points, 0 stuck jobs)\n${figuresTable(figures)}\n`);
});

async function scenarioServices(settings: Record<string, string> = {}): Promise<TestServices> {
  const svc = await testServices(settings);
  later(() => svc.close());
  return svc;
}

async function machineOf(svc: TestServices): Promise<Machine> {
  const machine = await registeredMachine(svc);
  later(() => machine.remove());
  return machine;
}

/** Folders of the same shared files (and one file of their own each), protected on the machine. */
async function protectedFolders(machine: Machine, count: number, shared: Map<string, Buffer>, ownMiB: number) {
  const folders: string[] = [];
  const bytes = new Map<string, number>();
  for (let i = 1; i <= count; i++) {
    const folder = path.join(machine.work, `share-${i}`);
    bytes.set(folder, await writeFolder(folder, shared, ownMiB));
    folders.push(folder);
  }
  const protect = await machine.agent('protect', ...folders.flatMap((folder) => ['--path', folder]));
  expect(protect.stderr).toBe('');
  return { folders, bytes };
}

async function keyOf(machine: Machine): Promise<string> {
  return (await readState(machine.stateDir))!.keyId!;
}

async function packsStored(svc: Services, keyId: string): Promise<number> {
  let packs = 0;
  for await (const blob of svc.store.list(keyPrefix(keyId))) if (packIdOf(keyId, blob.key) !== null) packs += 1;
  return packs;
}

/** Whether the folder store is writing a pack of the key just now (its temporary file is there). */
async function writingPack(svc: Services, keyId: string): Promise<boolean> {
  if (!(svc.store instanceof FileBlobStore)) return false;
  const names = await readdir(path.join(svc.store.root, 'objects', keyId, 'packs')).catch(() => []);
  return names.some((name) => name.startsWith('.tmp-'));
}

/**
 * Mid-backup: as soon as `packs` batches are stored (and, with `writing`, another is being written), or `ms` after
 * `from`, whichever comes first.
 */
async function midBackup(svc: Services, keyId: string, from: number, ms: number, packs: number, writing = false) {
  while (Date.now() - from < ms) {
    if ((await packsStored(svc, keyId)) >= packs && (!writing || (await writingPack(svc, keyId)))) return;
    await sleep(writing ? 2 : 25);
  }
}

/** The portal's agent API in this process, over real HTTP on loopback. */
async function inProcessPortal(svc: Services): Promise<string> {
  const server: Server = createServer(agentApi(svc));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  later(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
}

const backupOf = (machine: Machine) => (folder: string) => agentRun(machine, ['backup', '--path', folder, '--json']);

/** An agent's failure says what failed: the portal or its storage, never a local file. */
function expectPortalSideError(run: AgentRun) {
  expect(run.stderr).not.toMatch(/Cannot read|ENOENT|EACCES/);
  expect(run.stderr).toMatch(/portal|store|storage/i);
}

type Settle = {
  scenario: string;
  /** How the fault was felt, for the figures. */
  fault: string;
  started: number;
  svc: TestServices;
  machine: Machine;
  folders: string[];
  /** The next backup of a folder, on a healthy portal. */
  backup: (folder: string) => Promise<AgentRun>;
  /** The most the next backup of a folder may send: it reuses what is stored. */
  nextTransferBelow: (folder: string) => number;
};

/**
 * After the fault: the portal's stale-job sweep once the heartbeat timeout has passed, then no job In progress and
 * every failed one with its reason; the next backup of every folder succeeds and sends little; every point restores
 * byte-identical; garbage collection (hours later) leaves no orphan pack and deletes no needed one, and every point
 * still restores. Records the scenario's figures before asserting, so the table shows a failure's numbers too.
 */
async function settle(s: Settle): Promise<void> {
  const { svc, machine } = s;
  const vaultId = machine.vaultId;
  const keyId = await keyOf(machine);
  const sweep = await sweepAndCountStuck(svc, vaultId);
  const faultJobs = await jobsOf(svc, vaultId, 'Backup');

  const next = await Promise.all(s.folders.map((folder) => s.backup(folder)));
  const beforeGc = await auditPacks(svc, keyId);
  const restored = await restoreEveryPoint(svc, machine, vaultId);
  const gc = await collectHoursLater(svc, keyId);
  const afterGc = await auditPacks(svc, keyId);
  const restoredAfterGc = await restoreEveryPoint(svc, machine, vaultId);
  const end = await sweepAndCountStuck(svc, vaultId);
  const points = await pointsOf(svc, vaultId);

  figures.push({
    scenario: s.scenario,
    fault: s.fault,
    backupsStarted: (await jobsOf(svc, vaultId, 'Backup')).length,
    pointsCommitted: points.length,
    pointsRestored: Math.min(restored.identical, restoredAfterGc.identical),
    jobsStuck: sweep.stuck + end.stuck,
    orphanPacks: afterGc.orphans.length,
    neededPacksDeleted: beforeGc.missing.length + afterGc.missing.length,
    sweptJobs: sweep.swept + end.swept,
    orphansBeforeGc: beforeGc.orphans.length,
    temporaryBeforeGc: beforeGc.temporary,
    temporaryAfterGc: afterGc.temporary,
    seconds: (Date.now() - s.started) / 1000,
  });

  expect(sweep.stuck).toBe(0);
  for (const job of faultJobs) {
    expect(job.status).not.toBe('InProgress');
    if (job.status === 'Failed') expect(job.message).toMatch(/ failed: .{10,}/);
  }
  s.folders.forEach((folder, i) => {
    const run = next[i]!;
    expect(run.stderr, folder).toBe('');
    expect(run.code, folder).toBe(0);
    expect(completedBackup(run)!.dataTransferred, folder).toBeLessThan(s.nextTransferBelow(folder));
  });
  expect(restored.failures).toEqual([]);
  expect(restored.identical).toBe(points.length);
  expect(gc.busy).toBe(false);
  expect(beforeGc.missing).toEqual([]);
  expect(afterGc.orphans).toEqual([]);
  expect(afterGc.missing).toEqual([]);
  expect(afterGc.temporary).toBe(0);
  expect(restoredAfterGc.failures).toEqual([]);
  expect(restoredAfterGc.identical).toBe(points.length);
  expect(end.stuck).toBe(0);
}

describe('the fault suite', () => {
  it('1. four agents back up shared data while the portal is killed (SIGKILL) and started again', {
    timeout: 150_000,
  }, async () => {
    const started = Date.now();
    const svc = await scenarioServices();
    const port = await freePort();
    // A disk a little slower than this machine's (250 ms before each pack's bytes), so the backups last long enough
    // for the kill to come mid-way, and mid-write.
    const settings = {
      DATABASE_URL: svc.database.url,
      PORTAL_DATA_DIR: svc.env.dataDir,
      TEST_STORE_WRITE_DELAY_MS: '250',
    };
    let portal: PortalProcess = await startPortalProcess(port, settings);
    const machine = await machineOf(svc);
    // Five folders of the machine hold the same files: one vault key, so their backups share (and race for) objects.
    // Four agents wait the outage out; a fifth, impatient one (a retry budget of 1.5 s, and more data of its own, so
    // that it is surely still running) gives up during it.
    const shared = sharedFiles(4, 3);
    const { folders: patient } = await protectedFolders(machine, 4, shared, 2);
    const impatient = path.join(machine.work, 'impatient');
    await writeFolder(impatient, shared, 16);
    expect((await machine.agent('protect', '--path', impatient)).stderr).toBe('');
    const folders = [...patient, impatient];
    await pointAgentAt(machine, `http://127.0.0.1:${port}`);
    const keyId = await keyOf(machine);

    const from = Date.now();
    const runs = patient.map(backupOf(machine));
    let impatientEnded = false;
    const gaveUp = agentRun(machine, ['backup', '--path', impatient, '--json'], {
      retry: { budgetMs: 1_500, firstDelayMs: 100, maxDelayMs: 500 },
    }).finally(() => {
      impatientEnded = true;
    });
    // Killed mid-backup: while the portal writes a pack, once a first one is stored (or 3 s in at the latest).
    await midBackup(svc, keyId, from, 3_000, 1, true);
    const killedAfterMs = Date.now() - from;
    const pointsAtKill = (await pointsOf(svc, machine.vaultId)).length;
    if (impatientEnded) expect(await gaveUp, 'the impatient backup ended before the kill').toBeUndefined();
    await portal.kill();
    const downAt = Date.now();
    await sleep(3_000);
    portal = await startPortalProcess(port, settings);
    const outageMs = Date.now() - downAt;
    const results = await Promise.all(runs);
    const impatientRun = await gaveUp;

    // The kill came mid-backup, and every patient agent waited the outage out (well within the 60 s heartbeat).
    expect(pointsAtKill).toBeLessThan(patient.length);
    expect(outageMs).toBeLessThan(30_000);
    for (const run of results) {
      if (run.code !== 0) expectPortalSideError(run);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
    }
    expect(Math.max(...results.map((run) => run.ms))).toBeGreaterThan(outageMs);
    // The impatient one says the portal could not be reached, not anything about a file.
    expect(impatientRun.code).toBe(1);
    expect(impatientRun.stderr).toMatch(/^Could not reach the portal at http:\/\/127\.0\.0\.1:\d+: .+\n$/);
    expectPortalSideError(impatientRun);

    await settle({
      scenario: 'portal SIGKILL + restart, 4 agents (+1 giving up)',
      fault: `killed ${(killedAfterMs / 1000).toFixed(1)} s in, down ${(outageMs / 1000).toFixed(1)} s`,
      started,
      svc,
      machine,
      folders,
      backup: backupOf(machine),
      // Nothing changed: the file cache and the vault's objects make the next backup send next to nothing; the folder
      // whose backup gave up sends at most its own file (the shared ones are stored).
      nextTransferBelow: (folder) => (folder === impatient ? 17 * 1024 * 1024 : 64 * 1024),
    });
    // The job the impatient agent left ended Failed with its reason: its own report, or the portal's sweep.
    const failedJobs = (await jobsOf(svc, machine.vaultId, 'Backup')).filter((job) => job.status === 'Failed');
    expect(failedJobs).toHaveLength(1);
    expect(failedJobs[0]!.message).toMatch(
      /failed: (Could not reach the portal|the agent stopped reporting progress \(it was stopped, or lost its connection\))/,
    );
  });

  it('2. the database restarted mid-backup: its connections cut for a few seconds', { timeout: 120_000 }, async () => {
    const started = Date.now();
    const svc = await scenarioServices();
    const direct = new URL(svc.database.url);
    const pgProxy = new TcpProxy(Number(direct.port || 5432), direct.hostname);
    await pgProxy.up();
    later(() => pgProxy.down());
    const proxied = new URL(svc.database.url);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(pgProxy.port);

    // The pool first, alone: a connection lost while it is checked out (mid-transaction, between two statements)
    // fails the transaction, not the process; while the server is away the pool's connects fail as the database's
    // unavailability; once it is back the pool connects again.
    const { pool } = createDatabase(proxied.toString(), 4);
    try {
      const lost = await withTransaction(pool, async (_tx, client) => {
        await client.query('select 1');
        await pgProxy.down();
        await sleep(200);
        await client.query('select 2');
      }).catch((error: unknown) => error);
      expect(databaseUnavailable(lost)).toBe(true);
      const refused = await pool.query('select 1').catch((error: unknown) => error);
      expect(databaseUnavailable(refused)).toBe(true);
      await pgProxy.up();
      expect((await pool.query<{ one: number }>('select 1 as one')).rows[0]!.one).toBe(1);
    } finally {
      await pool.end();
    }

    // The portal process on the database through the proxy; two agents back up; the database "restarts" mid-way.
    const port = await freePort();
    const portal = await startPortalProcess(port, {
      DATABASE_URL: proxied.toString(),
      PORTAL_DATA_DIR: svc.env.dataDir,
    });
    const machine = await machineOf(svc);
    const { folders } = await protectedFolders(machine, 2, sharedFiles(3, 3), 2);
    await pointAgentAt(machine, `http://127.0.0.1:${port}`);
    const keyId = await keyOf(machine);
    const cutBefore = pgProxy.cut;

    const from = Date.now();
    const runs = folders.map(backupOf(machine));
    await midBackup(svc, keyId, from, 1_500, 1);
    const pointsAtCut = (await pointsOf(svc, machine.vaultId)).length;
    await pgProxy.outage(3_000);
    const results = await Promise.all(runs);

    expect(pointsAtCut).toBeLessThan(folders.length);
    expect(pgProxy.cut).toBeGreaterThan(cutBefore);
    // The portal lived through it; the agents waited it out (it answered 503 while its database was away).
    expect(portal.alive()).toBe(true);
    for (const run of results) {
      if (run.code !== 0) expectPortalSideError(run);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
    }
    expect(portal.lines.some((line) => line.includes("The portal's database is out of reach"))).toBe(true);

    await settle({
      scenario: 'database connections cut 3 s',
      fault: `${pgProxy.cut - cutBefore} sockets cut, ${portal.lines.filter((line) => line.includes("The portal's database is out of reach")).length} calls answered 503`,
      started,
      svc,
      machine,
      folders,
      backup: backupOf(machine),
      nextTransferBelow: () => 64 * 1024,
    });
    expect(portal.alive()).toBe(true);
  });

  it("3. the blob store's disk full (ENOSPC from its writer), then room again", { timeout: 90_000 }, async () => {
    const started = Date.now();
    const svc = await scenarioServices();
    const portalUrl = await inProcessPortal(svc);
    const machine = await machineOf(svc);
    const { folders, bytes } = await protectedFolders(machine, 1, sharedFiles(3, 3), 1);
    const folder = folders[0]!;
    await pointAgentAt(machine, portalUrl);

    // The store's writer: the first pack is written whole; from then on the disk is full, each write filling what
    // room there seems to be (half of it) before it fails with ENOSPC.
    const realWrite = NewFile.prototype.write;
    let writes = 0;
    const full = vi.spyOn(NewFile.prototype, 'write').mockImplementation(async function (
      this: NewFile,
      data: Uint8Array,
      position: number,
    ) {
      writes += 1;
      if (writes === 1) return realWrite.call(this, data, position);
      await realWrite.call(this, data.subarray(0, data.length >> 1), position);
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), {
        code: 'ENOSPC',
        errno: -28,
        syscall: 'write',
      });
    });
    const log = vi.spyOn(console, 'error').mockImplementation(() => {});
    let failed: AgentRun;
    let logged: string[];
    try {
      failed = await backupOf(machine)(folder);
    } finally {
      logged = log.mock.calls.map((args) => String(args[0]));
      full.mockRestore();
      log.mockRestore();
    }
    expect(writes).toBeGreaterThan(1);
    expect(failed.code).toBe(1);
    // The agent names the full store, not a local file.
    expect(failed.stderr).toBe(`${AGENT_MESSAGES.storageFull}\n`);
    expectPortalSideError(failed);
    expect(logged.some((line) => line.startsWith('The backup store is full:'))).toBe(true);
    const [job] = await jobsOf(svc, machine.vaultId, 'Backup');
    expect(job).toMatchObject({ status: 'Failed' });
    expect(job!.message).toContain(AGENT_MESSAGES.storageFull);
    expect(await pointsOf(svc, machine.vaultId)).toEqual([]);
    // The failed writes left no temporary file behind.
    const temporary = (await readdir(path.join(svc.env.dataDir, 'backups'), { recursive: true })).filter((name) =>
      path.basename(String(name)).startsWith('.tmp-'),
    );
    expect(temporary).toEqual([]);
    // What was stored before the disk filled is in the index, for the next backup to reuse.
    const { rows } = await svc.pool.query<{ bytes: number }>(
      'select coalesce(sum(size), 0)::int as bytes from backup_objects where key_id = $1',
      [await keyOf(machine)],
    );
    const storedBefore = rows[0]!.bytes;
    expect(storedBefore).toBeGreaterThan(0);

    await settle({
      scenario: 'store disk full (ENOSPC)',
      fault: `${writes - 1} pack writes failed ENOSPC`,
      started,
      svc,
      machine,
      folders,
      backup: backupOf(machine),
      // Room again: the next backup sends only what the full disk refused.
      nextTransferBelow: (f) => bytes.get(f)! - storedBefore + 256 * 1024,
    });
  });

  it('4. an S3 store answering 503 SlowDown and slowly, behind a fault-injecting proxy', {
    timeout: 120_000,
  }, async () => {
    const started = Date.now();
    const s3rver = await startS3rver();
    later(() => s3rver.stop());
    const proxy = new S3FaultProxy(s3rver.endpoint);
    await proxy.start();
    later(() => proxy.stop());
    const svc = await scenarioServices({
      BACKUP_STORE: `s3://backups/faults-${randomBytes(3).toString('hex')}`,
      BACKUP_STORE_S3_ENDPOINT: proxy.endpoint,
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
    });
    const portalUrl = await inProcessPortal(svc);
    const machine = await machineOf(svc);
    const { folders } = await protectedFolders(machine, 2, sharedFiles(3, 3), 1);
    await pointAgentAt(machine, portalUrl);

    // Every 3rd request to the bucket answered 503 SlowDown, every 2nd of the others delayed 500 ms, and from the 3rd
    // request on 5 s of nothing but 503: longer than the S3 client's own three tries (about 3 s at most), so the
    // portal answers the agent 503 too, and the agent tries again.
    proxy.setPlan({ slowDownEvery: 3, delayEvery: 2, delayMs: 500, burst: { atRequest: 3, ms: 5_000 } });
    const log = vi.spyOn(console, 'error').mockImplementation(() => {});
    let results: AgentRun[];
    let logged: string[];
    try {
      results = await Promise.all(folders.map(backupOf(machine)));
    } finally {
      logged = log.mock.calls.map((args) => String(args[0]));
      proxy.heal();
      log.mockRestore();
    }
    expect(proxy.counts.slowDowns).toBeGreaterThan(2);
    expect(proxy.counts.delayed).toBeGreaterThan(0);
    for (const run of results) {
      if (run.code !== 0) expectPortalSideError(run);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
    }
    // The portal named its store's unavailability in its log (and answered the agent 503, which it waited out).
    expect(logged.some((line) => /^The backup store s3:\/\/.+ is unavailable: SlowDown/.test(line))).toBe(true);

    await settle({
      scenario: 'S3 503 SlowDown + delays',
      fault: `${proxy.counts.slowDowns}/${proxy.counts.requests} S3 requests 503, ${proxy.counts.delayed} delayed, ${logged.filter((line) => line.includes('is unavailable')).length} uploads answered 503`,
      started,
      svc,
      machine,
      folders,
      backup: backupOf(machine),
      nextTransferBelow: () => 64 * 1024,
    });
  });
});

describe('what the agent is told while a dependency of the portal is away', () => {
  it('the database out of reach is a 503 the agent waits out, not a fault; an S3 error is not the database', () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      for (const lost of [
        new Error('Connection terminated unexpectedly'),
        new Error('Client has encountered a connection error and is not queryable'),
        Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
        Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
        new Error('Failed query: select 1', {
          cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
        }),
      ]) {
        expect(databaseUnavailable(lost), lost.message).toBe(true);
        expect(agentRefusal(lost)).toEqual({
          status: 503,
          body: { error: { code: 'bad_request', message: DATABASE_UNAVAILABLE } },
        });
      }
      const s3 = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET', $metadata: { attempts: 3 } });
      expect(databaseUnavailable(s3)).toBe(false);
      expect(databaseUnavailable(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBe(false);
      expect(agentRefusal(new Error('fault'))).toBeUndefined();
    } finally {
      log.mockRestore();
    }
  });

  it("an S3 store's throttling or 5xx (after the S3 client's own tries) is `unavailable`; a folder's I/O error is not", () => {
    const store = { description: 's3://backups/portal' } as BlobStore;
    const log = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const slowDown = Object.assign(new Error('Please reduce your request rate.'), {
        name: 'SlowDown',
        $metadata: { httpStatusCode: 503, attempts: 3 },
      });
      expect(storeUnavailable(slowDown, store)).toMatchObject({ code: 'unavailable' });
      expect(storeUnavailable(slowDown, store)!.message).toMatch(/backup store is not answering .*SlowDown/);
      const internal = Object.assign(new Error('We encountered an internal error.'), {
        name: 'InternalError',
        $metadata: { httpStatusCode: 500 },
      });
      expect(storeUnavailable(internal, store)).toMatchObject({ code: 'unavailable' });
      expect(
        storeUnavailable(Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' }), store),
      ).toBeUndefined();
      const denied = Object.assign(new Error('Access Denied'), {
        name: 'AccessDenied',
        $metadata: { httpStatusCode: 403 },
      });
      expect(storeUnavailable(denied, store)).toBeUndefined();
      expect(
        log.mock.calls.some((args) =>
          String(args[0]).startsWith('The backup store s3://backups/portal is unavailable: SlowDown (HTTP 503)'),
        ),
      ).toBe(true);
    } finally {
      log.mockRestore();
    }
  });
});
