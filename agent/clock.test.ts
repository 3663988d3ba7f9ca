import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as clockRoute from '@/app/api/agent/clock/route';
import { issueVaultCredentials } from '@/lib/credentials/issue';
import { createVault } from '@/lib/vaults/create';
import { collector, fakeFetch, json } from '@/testing/agent';
import { PASSPHRASE, PORTAL, registeredMachine, routeFetch, serveRoutesFrom } from '@/testing/backups';
import { createTestUser, type TestServices, testServices } from '@/testing/services';
import { until } from '@/testing/until';
import { AGENT_MESSAGES, AGENT_PATHS, type ClockResponse } from '@/wire/protocol';
import { runAgent } from './cli';
import { PortalClock } from './clock';
import { FOLLOW_PORTAL_CLOCK_VARIABLE } from './settings';

const FOLLOW = { [FOLLOW_PORTAL_CLOCK_VARIABLE]: '1' };
const HOUR = 3600_000;

let svc: TestServices;
beforeAll(async () => {
  svc = await testServices();
});
afterAll(() => svc.close());
afterEach(async () => {
  await svc.clock.setOffset(0);
});

const clockRequests = (requests: Request[]) => requests.filter((r) => new URL(r.url).pathname === AGENT_PATHS.clock);

/** A folder with a few files in the machine's work directory, protected by the agent. */
async function protectedFolder(machine: Awaited<ReturnType<typeof registeredMachine>>) {
  const folder = path.join(machine.work, 'data');
  await mkdir(folder, { recursive: true });
  for (let i = 0; i < 3; i++) await writeFile(path.join(folder, `file-${i}.txt`), `file ${i}\n`.repeat(100));
  const protect = await machine.agent('protect', '--path', folder);
  expect(protect.code).toBe(0);
  return folder;
}

describe('GET /api/agent/clock', () => {
  it("answers the portal's time, moved or not, without credentials and uncached", async () => {
    serveRoutesFrom(svc);
    await svc.clock.setOffset(48 * HOUR);
    const before = Date.now();
    const response = await clockRoute.GET();
    const after = Date.now();
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const { now } = (await response.json()) as ClockResponse;
    expect(Date.parse(now)).toBeGreaterThanOrEqual(before + 48 * HOUR);
    expect(Date.parse(now)).toBeLessThanOrEqual(after + 48 * HOUR);
  });
});

describe("an agent that follows the portal's clock", () => {
  it('keeps backing up after the portal clock moved 48 hours, where an agent on its own clock is refused', async () => {
    const user = await createTestUser(svc);
    const follower = routeFetch();
    const following = await registeredMachine(svc, { user, name: 'FOLLOWER', env: FOLLOW, fetch: follower.fetch });
    const own = routeFetch();
    const keeping = await registeredMachine(svc, {
      user,
      vaultId: following.vaultId,
      name: 'OWNCLOCK',
      fetch: own.fetch,
    });
    try {
      const followed = await protectedFolder(following);
      const kept = await protectedFolder(keeping);
      await svc.clock.setOffset(48 * HOUR);

      const backedUp = await following.agent('backup', '--path', followed);
      expect(backedUp).toEqual({ code: 0, stdout: `${AGENT_MESSAGES.backupCompleted}\n`, stderr: '' });
      const [point] = (
        await svc.pool.query<{ taken_at: Date }>(
          `select p.taken_at from recovery_points p join protected_items i on i.id = p.item_id where i.path = $1`,
          [followed],
        )
      ).rows;
      // Taken by the portal's time.
      expect(point!.taken_at.getTime()).toBeGreaterThan(Date.now() + 47 * HOUR);
      const status = await following.agent('status');
      expect(status.code).toBe(0);
      expect(status.stdout).toContain('Status: Registered');
      // The follower read the portal's clock once per command (registration, protect, backup, status), no more.
      expect(clockRequests(follower.requests)).toHaveLength(4);

      const refused = await keeping.agent('backup', '--path', kept);
      expect(refused).toEqual({ code: 1, stdout: '', stderr: `${AGENT_MESSAGES.revoked}\n` });
      // Without follow mode the agent never asks the portal's time.
      expect(clockRequests(own.requests)).toHaveLength(0);
    } finally {
      await following.remove();
      await keeping.remove();
    }
  });

  it('is refused registration with vault credentials issued before the portal clock moved past their 48 hours', async () => {
    serveRoutesFrom(svc);
    const user = await createTestUser(svc);
    const created = await createVault(svc, user, { name: `clock-${Date.now().toString(36)}`, region: 'westus' });
    if (!created.ok) throw new Error(created.message);
    await svc.pool.query(`update vaults set status = 'Active' where id = $1`, [created.data.vaultId]);
    const work = await mkdtemp(path.join(os.tmpdir(), 'clock-test-'));
    try {
      const credentials = path.join(work, 'vault.VaultCredentials');
      await writeFile(credentials, (await issueVaultCredentials(svc, user, created.data.vaultId, PORTAL)).contents);
      const passphrase = path.join(work, 'passphrase.txt');
      await writeFile(passphrase, PASSPHRASE);
      await svc.clock.setOffset(48 * HOUR);

      const register = async (env: Record<string, string>, name: string) => {
        const { fetch, requests } = routeFetch();
        const stdout = collector();
        const stderr = collector();
        const code = await runAgent(
          [
            'register',
            '--vault-credentials',
            credentials,
            '--passphrase-file',
            passphrase,
            '--machine-name',
            name,
            '--state-dir',
            path.join(work, name),
          ],
          { stdout, stderr, env, fetch },
        );
        const paths = requests.map((r) => new URL(r.url).pathname);
        return { code, stdout: stdout.text(), stderr: stderr.text(), paths };
      };
      // By its own clock the file is still valid: the portal refuses it.
      expect(await register({}, 'OWNCLOCK')).toEqual({
        code: 1,
        stdout: '',
        stderr: `${AGENT_MESSAGES.expired}\n`,
        paths: [AGENT_PATHS.register],
      });
      // By the portal's clock it has expired: refused before the portal hears of the machine.
      expect(await register(FOLLOW, 'FOLLOWER')).toEqual({
        code: 1,
        stdout: '',
        stderr: `${AGENT_MESSAGES.expired}\n`,
        paths: [AGENT_PATHS.clock],
      });
      const { rows } = await svc.pool.query('select 1 from registered_servers where vault_id = $1', [
        created.data.vaultId,
      ]);
      expect(rows).toHaveLength(0);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });

  it("runs a scheduled backup when the portal's clock, moved while the service runs, reaches it", async () => {
    const machine = await registeredMachine(svc, { env: FOLLOW });
    const stop = new AbortController();
    const stdout = collector();
    const stderr = collector();
    let service: Promise<number> | undefined;
    try {
      const folder = await protectedFolder(machine);
      // The vault's default policy runs daily three hours or more from now, by real time.
      const minutes = new Date().getUTCHours() * 60 + new Date().getUTCMinutes();
      const runAt = (Math.ceil((minutes + 180) / 30) * 30) % 1440;
      await svc.pool.query(`update backup_policies set run_times = $2 where vault_id = $1`, [machine.vaultId, [runAt]]);

      service = runAgent(['run', '--state-dir', machine.stateDir], {
        stdout,
        stderr,
        env: FOLLOW,
        fetch: routeFetch().fetch,
        signal: stop.signal,
      });
      const announced = `Next scheduled backup of '${folder}': `;
      const next = await until('the schedule', async () => stdout.text().split(announced)[1]?.slice(0, 24), {
        detail: () => stdout.text() + stderr.text(),
      });
      expect(Date.parse(next)).toBeGreaterThan(Date.now() + 2 * HOUR);

      // A minute past the run, by the portal's clock: the service's next poll is refused (its token is hours old),
      // reads the moved clock at once, and finds the run due.
      await svc.clock.setOffset(Date.parse(next) - Date.now() + 60_000);
      await until(
        'the scheduled backup',
        async () => (stdout.text().includes(AGENT_MESSAGES.backupCompleted) ? true : undefined),
        { timeoutMs: 25_000, detail: () => stdout.text() + stderr.text() },
      );
      const line = stdout
        .text()
        .split('\n')
        .find((l) => l.includes(`Backing up '${folder}' (scheduled for ${next}`));
      expect(line).toBeDefined();
      // Its log lines keep the portal's time too.
      expect(Date.parse(line!.split(' ')[0]!)).toBeGreaterThanOrEqual(Date.parse(next));
    } finally {
      stop.abort();
      expect(await service).toBe(0);
      await machine.remove();
    }
  });
});

describe('PortalClock', () => {
  it('keeps the offset read halfway through the round trip, and reads it again only once it is old', async () => {
    let local = Date.parse('2030-01-01T00:00:00Z');
    const portal = Date.parse('2030-01-03T00:00:00Z');
    const { fetch, requests } = fakeFetch(() => {
      // Each call takes two seconds there and back; the portal reads its clock halfway.
      local += 1000;
      const now = new Date(portal + (local - Date.parse('2030-01-01T00:00:01Z'))).toISOString();
      local += 1000;
      return json(200, { now });
    });
    const clock = new PortalClock(() => new Date(local), fetch);
    expect(clock.now().toISOString()).toBe('2030-01-01T00:00:00.000Z');

    await clock.follow('https://portal.test');
    expect(requests.map((r) => r.url)).toEqual([`https://portal.test${AGENT_PATHS.clock}`]);
    expect(clock.now().toISOString()).toBe('2030-01-03T00:00:01.000Z');

    await clock.follow('https://portal.test');
    local += 59_000;
    await clock.follow('https://portal.test', { maxAgeMs: 60_000 });
    expect(requests).toHaveLength(1);
    local += 1_000;
    expect(await clock.follow('https://portal.test', { maxAgeMs: 60_000 })).toBe(0);
    expect(requests).toHaveLength(2);
  });
});
