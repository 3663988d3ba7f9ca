import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as commitRoute from '@/app/api/agent/backups/[sessionId]/commit/route';
import { failStaleBackups, HEARTBEAT_TIMEOUT_SECONDS } from '@/lib/backups/sessions';
import { collector, json, type RunResult } from '@/testing/agent';
import { type Machine, PORTAL, registeredMachine, routeFetch } from '@/testing/backups';
import { agentApi } from '@/testing/faults/agent-api';
import { filesBelow } from '@/testing/faults/agents';
import { TcpProxy } from '@/testing/faults/tcp-proxy';
import { restoreRoutes } from '@/testing/restore';
import { type TestServices, testServices } from '@/testing/services';
import { runAgent } from './cli';
import { type AgentIO, Interrupted } from './io';
import type { RetryPolicy } from './retry';
import { readState, writeState } from './state';

// The agent under faults, end to end: the real agent against the portal's real code and database, over real HTTP
// (a portal server in this process, behind a TCP proxy the tests take down and bring back) or through the route
// handlers (routeFetch) where a test needs to answer or break one call.

let svc: TestServices;
beforeAll(async () => {
  svc = await testServices();
});
afterAll(() => svc.close());

const MiB = 1024 * 1024;
/** Retries as the agent makes them, on a scale of seconds rather than minutes. */
const QUICK: RetryPolicy = { budgetMs: 20_000, firstDelayMs: 100, maxDelayMs: 1_000 };

const closers: Array<() => Promise<void>> = [];
afterAll(async () => {
  while (closers.length > 0) await closers.pop()!();
});

const REPO_ROOT = path.resolve(import.meta.dirname, '..');

/** A child process's exit code and output, once it has ended. */
function exited(child: ChildProcessWithoutNullStreams): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/**
 * The portal's HTTP server as scripts/serve.ts runs it, reduced to the agent's API (testing/faults/agent-api.ts).
 * `seen` is told of every request's path.
 */
async function httpPortal(seen: (pathname: string) => void = () => {}): Promise<{ port: number }> {
  const api = agentApi(svc);
  const server = createServer((req, res) => {
    seen(new URL(req.url!, PORTAL).pathname);
    api(req, res);
  });
  await listen(server, 0);
  closers.push(() => close(server));
  return { port: (server.address() as net.AddressInfo).port };
}

async function listen(server: Server | net.Server, port: number) {
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
}

function close(server: Server | net.Server): Promise<void> {
  (server as Server).closeAllConnections?.();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** The machine's agent, talking to the portal at `portalUrl` over HTTP with its own connections and fetch. */
async function agentAt(machine: Machine, portalUrl: string) {
  const state = (await readState(machine.stateDir))!;
  await writeState(machine.stateDir, { ...state, portalUrl });
  return (argv: string[], io: Partial<AgentIO> = {}): Promise<RunResult> => run(machine, argv, io);
}

async function run(machine: Machine, argv: string[], io: Partial<AgentIO> = {}): Promise<RunResult> {
  const stdout = collector();
  const stderr = collector();
  const code = await runAgent([...argv, '--state-dir', machine.stateDir], {
    stdout,
    stderr,
    env: {},
    retry: QUICK,
    ...io,
  });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

/** Files of random bytes (several batches of uploads each), and a few small ones. */
async function dataset(root: string, largeFiles: number, largeMiB: number) {
  await mkdir(path.join(root, 'small'), { recursive: true });
  for (let i = 0; i < largeFiles; i++) {
    await writeFile(path.join(root, `large-${i}.bin`), randomBytes(largeMiB * MiB + i));
  }
  for (let i = 0; i < 40; i++) await writeFile(path.join(root, 'small', `note-${i}.txt`), `note ${i}\n`.repeat(i + 1));
}

async function protectedFolder(machine: Machine, largeFiles: number, largeMiB: number) {
  const folder = path.join(machine.work, 'data');
  await dataset(folder, largeFiles, largeMiB);
  expect((await machine.agent('protect', '--path', folder)).code).toBe(0);
  return folder;
}

async function latestJob(vaultId: string, kind: 'Backup' | 'Restore') {
  const { rows } = await svc.pool.query<{ status: string; message: string }>(
    'select status, message from operations where vault_id = $1 and kind = $2 order by started_at desc limit 1',
    [vaultId, kind],
  );
  return rows[0];
}

async function pointCount(folder: string): Promise<number> {
  const { rows } = await svc.pool.query<{ n: number }>(
    'select count(*)::int as n from recovery_points p join protected_items i on i.id = p.item_id where i.path = $1',
    [folder],
  );
  return rows[0]!.n;
}

async function expectSameFiles(source: string, target: string) {
  const files = await filesBelow(source);
  expect(await filesBelow(target)).toEqual(files);
  for (const file of files) {
    const [a, b] = await Promise.all([readFile(path.join(source, file)), readFile(path.join(target, file))]);
    expect(a.equals(b), file).toBe(true);
  }
}

describe('a portal that goes away for a while', () => {
  it('makes the backup wait instead of failing, and the point restores byte for byte (as does a restore cut off too)', async () => {
    let uploads = 0;
    let reads = 0;
    let outage: Promise<void> | undefined;
    let proxy: TcpProxy | undefined;
    const portal = await httpPortal((pathname) => {
      // At the second upload (the first one stored), and at the first read of the restore: 3 s without a portal.
      if (/\/backups\/[^/]+\/objects$/.test(pathname) && ++uploads === 2) outage = proxy!.outage(3_000);
      if (/\/restores\/[^/]+\/objects$/.test(pathname) && ++reads === 1) outage = proxy!.outage(3_000);
    });
    proxy = new TcpProxy(portal.port);
    await proxy.up();
    closers.push(() => proxy!.down());
    const machine = await registeredMachine(svc);
    closers.push(() => machine.remove());
    const folder = await protectedFolder(machine, 3, 10);
    const agent = await agentAt(machine, `http://127.0.0.1:${proxy.port}`);

    const started = Date.now();
    const backup = await agent(['backup', '--path', folder]);
    expect(backup.stderr).toBe('');
    expect(backup.stdout).toBe('Backup completed.\n');
    expect(backup.code).toBe(0);
    expect(outage).toBeDefined();
    await outage;
    // It waited the outage out.
    expect(Date.now() - started).toBeGreaterThan(3_000);
    expect(uploads).toBeGreaterThan(2);
    expect(await latestJob(machine.vaultId, 'Backup')).toMatchObject({ status: 'Succeeded' });
    expect(await pointCount(folder)).toBe(1);

    outage = undefined;
    const target = path.join(machine.work, 'restored');
    const recovered = await agent(['recover', '--path', folder, '--target', target]);
    expect(recovered.stderr).toBe('');
    expect(recovered.stdout).toBe('Recovery completed.\n');
    expect(recovered.code).toBe(0);
    expect(outage).toBeDefined();
    await outage;
    expect(await latestJob(machine.vaultId, 'Restore')).toMatchObject({ status: 'Succeeded' });
    await expectSameFiles(folder, target);
  });

  it('gives up after its retry budget with what failed: the portal, not a file', async () => {
    let uploads = 0;
    let proxy: TcpProxy | undefined;
    let gone: Promise<void> | undefined;
    const portal = await httpPortal((pathname) => {
      if (/\/backups\/[^/]+\/objects$/.test(pathname) && ++uploads === 1) gone = proxy!.down();
    });
    proxy = new TcpProxy(portal.port);
    await proxy.up();
    const machine = await registeredMachine(svc);
    closers.push(() => machine.remove());
    const folder = await protectedFolder(machine, 2, 10);
    const portalUrl = `http://127.0.0.1:${proxy.port}`;
    const agent = await agentAt(machine, portalUrl);
    const started = Date.now();
    const result = await agent(['backup', '--path', folder], {
      retry: { budgetMs: 1_500, firstDelayMs: 100, maxDelayMs: 400 },
    });
    await gone;
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `Could not reach the portal at ${portalUrl}: connect ECONNREFUSED 127.0.0.1:${proxy.port}\n`,
    );
    // The budget, and the few seconds the failure report may take, not more.
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(await pointCount(folder)).toBe(0);
  });
});

describe('a portal that ends the backup while it cannot be reached', () => {
  it('says so, and why', async () => {
    const realNow = Date.now.bind(Date);
    let silence = 0;
    // The agent's clock of how long the portal was silent (never the clock of its signed calls) jumps 45 s.
    const clock = vi.spyOn(Date, 'now').mockImplementation(() => realNow() + silence);
    try {
      let uploads = 0;
      let proxy: TcpProxy | undefined;
      let outage: Promise<void> | undefined;
      const portal = await httpPortal((pathname) => {
        if (!/\/backups\/[^/]+\/objects$/.test(pathname) || ++uploads !== 2) return;
        outage = (async () => {
          await proxy!.down();
          silence = 45_000;
          // Meanwhile the portal fails the backup it no longer hears from.
          await failStaleBackups(svc, new Date(realNow() + (HEARTBEAT_TIMEOUT_SECONDS + 1) * 1000));
          await sleep(500);
          await proxy!.up();
        })();
      });
      proxy = new TcpProxy(portal.port);
      await proxy.up();
      closers.push(() => proxy!.down());
      const machine = await registeredMachine(svc);
      closers.push(() => machine.remove());
      const folder = await protectedFolder(machine, 2, 16);
      const agent = await agentAt(machine, `http://127.0.0.1:${proxy.port}`);
      const result = await agent(['backup', '--path', folder], { retry: { ...QUICK, budgetMs: 120_000 } });
      await outage;
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        new RegExp(
          `^The backup of '${folder}' stopped: This backup is no longer running: it was cancelled, or the portal stopped hearing from it\\. The agent could not reach the portal for 4[5-9] s, and the portal ends a backup it has not heard from for 60 s: run the backup again\\.\n$`,
        ),
      );
      expect((await latestJob(machine.vaultId, 'Backup'))?.message).toMatch(/the agent stopped reporting progress/);
      expect(await pointCount(folder)).toBe(0);
    } finally {
      clock.mockRestore();
    }
  });
});

describe('errors say what failed and where', () => {
  async function backupAnswered(answer: () => Response, retry?: Partial<RetryPolicy>) {
    let answered = 0;
    const { fetch } = routeFetch((request) => {
      if (!request.url.endsWith('/objects')) return undefined;
      answered += 1;
      return answer();
    });
    const machine = await registeredMachine(svc, { fetch });
    closers.push(() => machine.remove());
    const folder = await protectedFolder(machine, 1, 2);
    const result = await run(machine, ['backup', '--path', folder], { fetch, retry });
    return { result, answered, machine, folder };
  }

  it("shows the portal's own message when it sends one, as it is", async () => {
    const message = 'The vault storage is full: free space in the portal, or delete recovery points.';
    const { result, answered, machine, folder } = await backupAnswered(() =>
      json(507, { error: { code: 'storage_full', message } }),
    );
    expect(result).toEqual({ code: 1, stdout: '', stderr: `${message}\n` });
    // A refusal is not repeated.
    expect(answered).toBe(1);
    expect(await latestJob(machine.vaultId, 'Backup')).toEqual({
      status: 'Failed',
      message: `The backup of '${folder}' on 'FILESERVER01' failed: ${message}`,
    });
  });

  it('names the HTTP status of a portal that keeps answering 503, after trying again', async () => {
    const { result, answered } = await backupAnswered(
      () => new Response('<html>busy</html>', { status: 503, statusText: 'Service Unavailable' }),
      { budgetMs: 1_000, firstDelayMs: 50, maxDelayMs: 200 },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`The portal at ${PORTAL} answered HTTP 503 Service Unavailable\n`);
    expect(result.stderr).not.toContain('Cannot read');
    expect(answered).toBeGreaterThan(2);
  });

  it('names the file a local read failed on, and skips it: a warning, not a failure', async () => {
    let file = '';
    // The file goes away after the folder was scanned, as the backup starts: its read fails.
    const { fetch } = routeFetch(async (request) => {
      if (request.url.endsWith('/api/agent/backups')) await rm(file);
      return undefined;
    });
    const machine = await registeredMachine(svc, { fetch });
    closers.push(() => machine.remove());
    const folder = path.join(machine.work, 'data');
    await mkdir(folder);
    file = path.join(folder, 'vanishing.txt');
    await writeFile(file, 'here for the scan only');
    expect((await machine.agent('protect', '--path', folder)).code).toBe(0);
    const result = await machine.agent('backup', '--path', folder);
    expect(result).toEqual({
      code: 0,
      stdout: 'Backup completed with warnings: 1 file could not be read and was skipped.\n',
      stderr: `Skipped '${file}': it was deleted during the backup.\n`,
    });
  });
});

describe('what is repeated, and what is not', () => {
  it('repeats a commit whose answer was lost, and finds the point the first one made', async () => {
    let commits = 0;
    const { fetch } = routeFetch(async (request) => {
      const commit = /\/api\/agent\/backups\/([^/]+)\/commit$/.exec(new URL(request.url).pathname);
      if (!commit) return undefined;
      commits += 1;
      if (commits > 1) return undefined;
      // The portal commits, and the connection breaks before its answer arrives.
      await commitRoute.POST(request, { params: Promise.resolve({ sessionId: commit[1]! }) });
      throw new TypeError('fetch failed', {
        cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
      });
    });
    const machine = await registeredMachine(svc, { fetch });
    closers.push(() => machine.remove());
    const folder = await protectedFolder(machine, 1, 1);
    const result = await run(machine, ['backup', '--path', folder, '--json'], { fetch });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(commits).toBe(2);
    const completed = JSON.parse(result.stdout.trim().split('\n').at(-1)!);
    const { rows } = await svc.pool.query<{ id: string }>(
      'select p.id from recovery_points p join protected_items i on i.id = p.item_id where i.path = $1',
      [folder],
    );
    expect(rows.map((r) => r.id)).toEqual([completed.items[0].pointId]);
    expect(await latestJob(machine.vaultId, 'Backup')).toMatchObject({ status: 'Succeeded' });
  });

  it('starts a backup again only when the portal surely did not receive the first start', async () => {
    for (const [status, statusText, retried] of [
      [503, 'Service Unavailable', true],
      [502, 'Bad Gateway', false],
    ] as const) {
      let starts = 0;
      const { fetch } = routeFetch((request) => {
        if (!request.url.endsWith('/api/agent/backups') || ++starts > 1) return undefined;
        return new Response('', { status, statusText });
      });
      const machine = await registeredMachine(svc, { fetch });
      closers.push(() => machine.remove());
      const folder = await protectedFolder(machine, 0, 0);
      const result = await run(machine, ['backup', '--path', folder], { fetch });
      expect(starts).toBe(retried ? 2 : 1);
      expect(result.code).toBe(retried ? 0 : 1);
      if (!retried) expect(result.stderr).toBe(`The portal at ${PORTAL} answered HTTP ${status} ${statusText}\n`);
    }
  });
});

describe('the first SIGINT or SIGTERM stops a backup or a restore cleanly', () => {
  it('stops a backup mid-way: exit 130, one line, the job failed with the reason, no point', async () => {
    const stop = new AbortController();
    let uploads = 0;
    let stoppedAt = 0;
    const portal = await httpPortal((pathname) => {
      if (/\/backups\/[^/]+\/objects$/.test(pathname) && ++uploads === 2) {
        stoppedAt = Date.now();
        stop.abort(new Interrupted('SIGINT'));
      }
    });
    const machine = await registeredMachine(svc);
    closers.push(() => machine.remove());
    const folder = await protectedFolder(machine, 4, 16);
    const agent = await agentAt(machine, `http://127.0.0.1:${portal.port}`);
    const result = await agent(['backup', '--path', folder], { signal: stop.signal });
    expect(stoppedAt).toBeGreaterThan(0);
    expect(Date.now() - stoppedAt).toBeLessThan(5_000);
    expect(result).toEqual({
      code: 130,
      stdout: '',
      stderr: `The backup of '${folder}' stopped: interrupted (SIGINT).\n`,
    });
    // It stopped reading: far from all of the 64 MiB went up.
    expect(uploads).toBeLessThan(6);
    expect(await latestJob(machine.vaultId, 'Backup')).toEqual({
      status: 'Failed',
      message: `The backup of '${folder}' on 'FILESERVER01' failed: the agent was interrupted (SIGINT) on the machine.`,
    });
    expect(await pointCount(folder)).toBe(0);
    // The item's lock is free: the next backup runs.
    expect((await agent(['backup', '--path', folder])).code).toBe(0);
    expect(await pointCount(folder)).toBe(1);
  });

  it('as the bundled program: the first Ctrl+C (SIGINT) stops the backup the same way', async () => {
    const machine = await registeredMachine(svc);
    closers.push(() => machine.remove());
    const bundle = path.join(machine.work, 'recovery-services-agent.mjs');
    const built = await exited(
      spawn(process.execPath, ['scripts/build-agent.mjs', '--outfile', bundle], { cwd: REPO_ROOT }),
    );
    expect(built.code).toBe(0);
    let child: ChildProcessWithoutNullStreams | undefined;
    let uploads = 0;
    const portal = await httpPortal((pathname) => {
      if (/\/backups\/[^/]+\/objects$/.test(pathname) && ++uploads === 2) child!.kill('SIGINT');
    });
    const folder = await protectedFolder(machine, 4, 16);
    await agentAt(machine, `http://127.0.0.1:${portal.port}`);
    const running = spawn(process.execPath, [bundle, 'backup', '--path', folder, '--state-dir', machine.stateDir], {
      env: { ...process.env, HOME: machine.work },
    });
    child = running;
    expect(await exited(running)).toEqual({
      code: 130,
      stdout: '',
      stderr: `The backup of '${folder}' stopped: interrupted (SIGINT).\n`,
    });
    expect(await latestJob(machine.vaultId, 'Backup')).toEqual({
      status: 'Failed',
      message: `The backup of '${folder}' on 'FILESERVER01' failed: the agent was interrupted (SIGINT) on the machine.`,
    });
    expect(await pointCount(folder)).toBe(0);
  });

  it('exits 143 for SIGTERM, also while the portal is away', async () => {
    const stop = new AbortController();
    let proxy: TcpProxy | undefined;
    let uploads = 0;
    const portal = await httpPortal((pathname) => {
      if (/\/backups\/[^/]+\/objects$/.test(pathname) && ++uploads === 1) {
        void proxy!.down().then(() => setTimeout(() => stop.abort(new Interrupted('SIGTERM')), 500));
      }
    });
    proxy = new TcpProxy(portal.port);
    await proxy.up();
    const machine = await registeredMachine(svc);
    closers.push(() => machine.remove());
    const folder = await protectedFolder(machine, 2, 16);
    const agent = await agentAt(machine, `http://127.0.0.1:${proxy.port}`);
    const result = await agent(['backup', '--path', folder], { signal: stop.signal });
    // The failure report cannot reach the portal: it is given up after a few seconds.
    expect(result).toEqual({
      code: 143,
      stdout: '',
      stderr: `The backup of '${folder}' stopped: interrupted (SIGTERM).\n`,
    });
    expect(await pointCount(folder)).toBe(0);
  });

  it('stops a restore mid-way: exit 130, the job failed with the reason, no half-written file under its name', async () => {
    let reads = 0;
    const stop = new AbortController();
    const portal = await httpPortal((pathname) => {
      if (/\/restores\/[^/]+\/objects$/.test(pathname) && ++reads === 3) stop.abort(new Interrupted('SIGINT'));
    });
    const machine = await registeredMachine(svc, { fetch: routeFetch(restoreRoutes).fetch });
    closers.push(() => machine.remove());
    const folder = await protectedFolder(machine, 6, 8);
    expect((await machine.agent('backup', '--path', folder)).code).toBe(0);
    const agent = await agentAt(machine, `http://127.0.0.1:${portal.port}`);
    const target = path.join(machine.work, 'restored');
    const result = await agent(['recover', '--path', folder, '--target', target], { signal: stop.signal });
    expect(result).toEqual({
      code: 130,
      stdout: '',
      stderr: `The recovery of '${folder}' stopped: interrupted (SIGINT).\n`,
    });
    expect(await latestJob(machine.vaultId, 'Restore')).toEqual({
      status: 'Failed',
      message: `The restore of '${folder}' on 'FILESERVER01' failed: the agent was interrupted (SIGINT) on the machine.`,
    });
    // Whatever is in place is whole; nothing temporary is left behind; not everything was restored.
    const restored = await filesBelow(target);
    expect(restored.filter((file) => file.endsWith('.restoring'))).toEqual([]);
    for (const file of restored) {
      expect((await readFile(path.join(target, file))).equals(await readFile(path.join(folder, file))), file).toBe(
        true,
      );
    }
    const large = restored.filter((file) => file.startsWith('large-'));
    expect(large.length).toBeLessThan(6);
    expect((await stat(target)).isDirectory()).toBe(true);
  });
});
