import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withItemLock } from '@/agent/backup/lock';
import { runService } from '@/agent/service';
import { assignPolicy, createPolicy, listPolicies, updatePolicy } from '@/lib/policies/policies';
import { collector } from '@/testing/agent';
import { type Machine, registeredMachine, routeFetch } from '@/testing/backups';
import { type TestServices, testServices } from '@/testing/services';
import { until as poll } from '@/testing/until';
import { formatTime } from '.';

// The agent's `run` in this process, against the portal's real route handlers and database; only the clock its
// schedule is read with is moved, so a run "a minute away" comes in seconds and nothing waits for hours.

let svc: TestServices;
beforeAll(async () => {
  svc = await testServices();
});
afterAll(() => svc.close());

const HALF_HOUR = 30 * 60_000;

async function protectedFolder(machine: Machine) {
  const folder = path.join(machine.work, 'data');
  await mkdir(folder, { recursive: true });
  await writeFile(path.join(folder, 'a.txt'), 'scheduled');
  expect((await machine.agent('protect', '--path', folder)).code).toBe(0);
  const { rows } = await svc.pool.query<{ id: string }>('select id from protected_items where path = $1', [folder]);
  return { folder, itemId: rows[0]!.id };
}

async function pointsOf(itemId: string) {
  const { rows } = await svc.pool.query<{ taken_at: Date }>(
    'select taken_at from recovery_points where item_id = $1 order by taken_at',
    [itemId],
  );
  return rows.map((r) => r.taken_at);
}

/** Starts the service with its schedule's clock `offset()` ms ahead of the real one; returns its log and a stop. */
function startService(machine: Machine, offset: () => number) {
  const stdout = collector();
  const stop = new AbortController();
  lastLog = '';
  const running = runService(
    {
      stateDir: machine.stateDir,
      json: false,
      signal: stop.signal,
      pollSeconds: 0.3,
      clock: () => new Date(Date.now() + offset()),
    },
    { stdout, stderr: collector(), env: {}, now: () => new Date(), fetch: routeFetch().fetch },
  );
  return {
    log: () => {
      const text = stdout.text();
      lastLog = text;
      return text;
    },
    stop: async () => {
      stop.abort();
      await running;
    },
  };
}

let lastLog = '';

/** Waits for the agent's service, showing its log when it does not come. */
function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  return poll(what, probe, { timeoutMs: 20_000, detail: () => `the service said:\n${lastLog}` });
}

describe("the agent's run follows its items' policies", () => {
  it('backs up at the scheduled time, once, and learns a changed policy without a restart', async () => {
    const machine = await registeredMachine(svc);
    const { folder, itemId } = await protectedFolder(machine);
    // A policy at the next half hour; the agent's schedule clock stands 3 seconds before it.
    const slot = Math.ceil((Date.now() + 60_000) / HALF_HOUR) * HALF_HOUR;
    const minutes = new Date(slot).getUTCHours() * 60 + new Date(slot).getUTCMinutes();
    const made = await createPolicy(svc, machine.user, {
      vaultId: machine.vaultId,
      name: 'Soon',
      frequency: 'Daily',
      times: [minutes],
      dailyDays: 7,
      weeklyWeeks: null,
      monthlyMonths: null,
      yearlyYears: null,
    });
    if (!made.ok) throw new Error('policy not made');
    expect((await assignPolicy(svc, machine.user, { itemId, policyId: made.data.policyId })).ok).toBe(true);

    let offset = slot - Date.now() - 3000;
    const startedAt = Date.now();
    const service = startService(machine, () => offset);
    try {
      const [first] = await until('the scheduled backup', async () => {
        service.log();
        const points = await pointsOf(itemId);
        return points.length > 0 ? points : undefined;
      });
      // Not before its time: the schedule's clock reached the run about 3 s after the service started.
      expect(first!.getTime() - startedAt).toBeGreaterThanOrEqual(2500);
      const slotIso = new Date(slot).toISOString();
      expect(service.log()).toContain(
        `Next scheduled backup of '${folder}': ${slotIso} (policy 'Soon', Daily at ${formatTime(minutes)} UTC).`,
      );
      expect(service.log()).toContain(`Backing up '${folder}' (scheduled for ${slotIso} by policy 'Soon').`);
      // Polls go on, the run is not repeated.
      await new Promise((r) => setTimeout(r, 1500));
      expect(await pointsOf(itemId)).toHaveLength(1);

      // The policy moves to half an hour later while the service runs; once its clock passes that, it backs up.
      const later = (minutes + 30) % (24 * 60);
      expect(
        await updatePolicy(svc, machine.user, {
          vaultId: machine.vaultId,
          policyId: made.data.policyId,
          frequency: 'Daily',
          times: [later],
          dailyDays: 7,
          weeklyWeeks: null,
          monthlyMonths: null,
          yearlyYears: null,
        }),
      ).toMatchObject({ ok: true });
      const laterIso = new Date(slot + HALF_HOUR).toISOString();
      await until('the new schedule', async () =>
        service.log().includes(`': ${laterIso} (policy 'Soon'`) ? true : undefined,
      );
      offset = slot + HALF_HOUR - Date.now() + 1000;
      await until('the second scheduled backup', async () =>
        (await pointsOf(itemId)).length === 2 ? true : undefined,
      );
      expect(service.log()).toContain(`(scheduled for ${laterIso} by policy 'Soon')`);
    } finally {
      await service.stop();
    }
    expect(service.log()).toContain('Backup service stopped.');
    await machine.remove();
  });

  it('runs a backup it missed while it was not running once when it comes back', async () => {
    const machine = await registeredMachine(svc);
    const { folder, itemId } = await protectedFolder(machine);
    // Protected under DefaultPolicy (22:00 UTC) three days ago, and the service has not run since.
    await svc.pool.query(
      `update protected_items set created_at = now() - interval '3 days', policy_assigned_at = now() - interval '3 days'
       where id = $1`,
      [itemId],
    );
    await svc.pool.query(`update backup_policies set updated_at = now() - interval '3 days' where vault_id = $1`, [
      machine.vaultId,
    ]);
    const service = startService(machine, () => 0);
    try {
      await until('the missed backup', async () =>
        service.log() && (await pointsOf(itemId)).length === 1 ? true : undefined,
      );
      await new Promise((r) => setTimeout(r, 2000));
      expect(await pointsOf(itemId)).toHaveLength(1);
      expect(service.log().match(/Backing up '.*' \(scheduled for/g)).toHaveLength(1);
      expect(service.log()).toMatch(
        new RegExp(
          `Backing up '${folder.replaceAll('/', '\\/')}' \\(scheduled for \\S+T22:00:00.000Z by policy 'DefaultPolicy'\\)`,
        ),
      );
    } finally {
      await service.stop();
    }
    await machine.remove();
  });

  it('never runs a second backup of an item while one is running on the machine', async () => {
    const machine = await registeredMachine(svc);
    const { folder, itemId } = await protectedFolder(machine);
    await svc.pool.query(
      `update protected_items set created_at = now() - interval '3 days', policy_assigned_at = now() - interval '3 days'
       where id = $1`,
      [itemId],
    );
    await svc.pool.query(`update backup_policies set updated_at = now() - interval '3 days' where vault_id = $1`, [
      machine.vaultId,
    ]);
    // A `backup` typed by hand holds the item's lock while the service finds the run due.
    await withItemLock(machine.stateDir, folder, async () => {
      const service = startService(machine, () => 0);
      try {
        await until('the refusal', async () => (service.log().includes('is already running') ? true : undefined));
      } finally {
        await service.stop();
      }
      expect(service.log()).toContain(`The backup of '${folder}' failed: A backup of '${folder}' is already running.`);
    });
    expect(await pointsOf(itemId)).toHaveLength(0);
    const { rows } = await svc.pool.query('select count(*)::int as n from backup_sessions where item_id = $1', [
      itemId,
    ]);
    expect(rows[0].n).toBe(0);
    await machine.remove();
  });
});

describe('DefaultPolicy for new items', () => {
  it('a newly protected folder follows DefaultPolicy and the agent is told its schedule', async () => {
    const machine = await registeredMachine(svc);
    const { itemId } = await protectedFolder(machine);
    const policies = await listPolicies(svc.db, machine.vaultId);
    const { rows } = await svc.pool.query('select policy_id from protected_items where id = $1', [itemId]);
    expect(rows[0].policy_id).toBe(policies.find((p) => p.name === 'DefaultPolicy')!.id);
  });
});
