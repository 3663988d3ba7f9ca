import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cancelJob } from '@/lib/jobs/cancel';
import { QUEUES } from '@/lib/queues';
import { vaultUsage } from '@/lib/vaults/usage';
import { startOperationWorkers } from '@/server/worker';
import { registeredMachine } from '@/testing/backups';
import { type TestServices, testServices } from '@/testing/services';
import { until } from '@/testing/until';

// Retention as the server runs it: the durable job deletes the points the item's policy no longer keeps, garbage
// collection follows, and the DASHBOARD's storage used falls. A cancelled backup stops and leaves no point.

let svc: TestServices;
beforeAll(async () => {
  svc = await testServices();
  await startOperationWorkers(svc);
});
afterAll(() => svc.close());

const MiB = 1024 * 1024;

describe('retention on the server', () => {
  it('deletes the points past the policy, then their data: storage used falls', async () => {
    const machine = await registeredMachine(svc);
    const folder = path.join(machine.work, 'data');
    await mkdir(folder);
    expect((await machine.agent('protect', '--path', folder)).code).toBe(0);
    // Three backups of different data, 2 MiB each.
    for (let i = 0; i < 3; i++) {
      await writeFile(path.join(folder, 'data.bin'), randomBytes(2 * MiB));
      expect((await machine.agent('backup')).code).toBe(0);
    }
    const { rows: points } = await svc.pool.query<{ id: string; item_id: string }>(
      `select p.id, p.item_id from recovery_points p where p.vault_id = $1 order by p.taken_at`,
      [machine.vaultId],
    );
    expect(points).toHaveLength(3);
    const before = (await vaultUsage(svc.db, machine.vaultId)).storageUsedBytes;
    expect(before).toBeGreaterThan(6 * MiB);

    // Time passes: the two older points are 40 and 35 days old, their data as old; DefaultPolicy keeps 30 days.
    await svc.pool.query(`update recovery_points set taken_at = now() - interval '40 days' where id = $1`, [
      points[0]!.id,
    ]);
    await svc.pool.query(`update recovery_points set taken_at = now() - interval '35 days' where id = $1`, [
      points[1]!.id,
    ]);
    await svc.pool.query(
      `update backup_objects set created_at = now() - interval '40 days'
       where key_id in (select id from backup_keys where vault_id = $1)`,
      [machine.vaultId],
    );
    // The hourly sweep (the job with no item) finds them.
    await svc.boss.send(QUEUES.retention, {});
    await until('the prune', async () => {
      const { rows } = await svc.pool.query('select id from recovery_points where vault_id = $1', [machine.vaultId]);
      return rows.length === 1 ? rows : undefined;
    });
    const after = await until('the collection', async () => {
      const used = (await vaultUsage(svc.db, machine.vaultId)).storageUsedBytes;
      return used < before - 3.5 * MiB ? used : undefined;
    });
    expect(after).toBeGreaterThan(2 * MiB);
    expect(after).toBeLessThan(3 * MiB);
    // The kept point is whole: the agent's next backup sends nothing new for it.
    const points2 = await machine.agent('points', '--path', folder);
    expect(points2.stdout).toContain(`${folder}: 1 recovery point`);
    await machine.remove();
  });

  it('CANCEL stops a running backup within seconds and leaves no recovery point', async () => {
    const machine = await registeredMachine(svc);
    const folder = path.join(machine.work, 'big');
    await mkdir(folder);
    for (let i = 0; i < 8; i++) await writeFile(path.join(folder, `f${i}.bin`), randomBytes(24 * MiB));
    expect((await machine.agent('protect', '--path', folder)).code).toBe(0);
    const running = machine.agent('backup', '--path', folder);
    const job = await until('the running backup', async () => {
      const { rows } = await svc.pool.query<{ id: string }>(
        `select o.id from operations o join backup_sessions s on s.operation_id = o.id
         where o.vault_id = $1 and o.kind = 'Backup' and o.status = 'InProgress' and s.running`,
        [machine.vaultId],
      );
      return rows[0];
    });
    const cancelledAt = Date.now();
    expect(await cancelJob(svc, machine.user, { vaultId: machine.vaultId, jobId: job.id })).toMatchObject({ ok: true });
    const result = await running;
    expect(Date.now() - cancelledAt).toBeLessThan(5000);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('stopped');
    const { rows } = await svc.pool.query(
      `select o.status, o.message, (select count(*)::int from recovery_points where vault_id = $1) as points
       from operations o where o.id = $2`,
      [machine.vaultId, job.id],
    );
    expect(rows[0]).toMatchObject({ status: 'Cancelled', points: 0 });
    expect(rows[0].message).toMatch(/was cancelled: .* cancelled it in the portal\.$/);
    expect(await cancelJob(svc, machine.user, { vaultId: machine.vaultId, jobId: job.id })).toEqual({
      ok: false,
      message: 'The job is not in a cancelable state - Please wait until the job completes.',
    });
    await machine.remove();
  });
});
