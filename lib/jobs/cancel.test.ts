import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestBackup } from '@/lib/backups/portal';
import { registeredMachine, routeFetch } from '@/testing/backups';
import { restoreRoutes } from '@/testing/restore';
import { type TestServices, testServices } from '@/testing/services';
import { until } from '@/testing/until';
import { cancelJob } from './cancel';

let svc: TestServices;
beforeAll(async () => {
  svc = await testServices();
});
afterAll(() => svc.close());

const MiB = 1024 * 1024;

async function job(vaultId: string, kind: string) {
  const { rows } = await svc.pool.query(
    `select id, status, message from operations where vault_id = $1 and kind = $2 order by started_at desc limit 1`,
    [vaultId, kind],
  );
  return rows[0] as { id: string; status: string; message: string } | undefined;
}

describe('CANCEL', () => {
  it('withdraws a BACKUP NOW no agent has taken yet', async () => {
    const machine = await registeredMachine(svc);
    const folder = path.join(machine.work, 'data');
    await mkdir(folder);
    expect((await machine.agent('protect', '--path', folder)).code).toBe(0);
    const { rows } = await svc.pool.query('select id from protected_items where path = $1', [folder]);
    expect((await requestBackup(svc, machine.user, { itemId: rows[0].id })).ok).toBe(true);
    const waiting = (await job(machine.vaultId, 'Backup'))!;
    expect(await cancelJob(svc, machine.user, { vaultId: machine.vaultId, jobId: waiting.id })).toMatchObject({
      ok: true,
    });
    expect(await job(machine.vaultId, 'Backup')).toMatchObject({
      status: 'Cancelled',
      message: `The backup of '${folder}' on 'FILESERVER01' was cancelled before the agent started it.`,
    });
    const { rows: item } = await svc.pool.query('select backup_requested_at from protected_items where id = $1', [
      rows[0].id,
    ]);
    expect(item[0].backup_requested_at).toBeNull();
    // The operation logs say who cancelled it, after the job's own Cancelled (logged as its starter's).
    const { rows: logged } = await svc.pool.query(
      `select actor, operation, status from operation_logs where vault_id = $1 and target = $2 order by seq`,
      [machine.vaultId, folder],
    );
    expect(logged.slice(-2)).toEqual([
      { actor: machine.user.email, operation: 'Back up', status: 'Cancelled' },
      { actor: machine.user.email, operation: 'Cancel backup', status: 'Succeeded' },
    ]);
    // A reader may not cancel, and another vault's job is not found.
    const reader = {
      ...machine.user,
      subscriptions: machine.user.subscriptions.map((s) => ({ ...s, role: 'Reader' as const })),
    };
    expect((await cancelJob(svc, reader, { vaultId: machine.vaultId, jobId: waiting.id })).message).toMatch(
      /read access/,
    );
    expect(
      await cancelJob(svc, machine.user, { vaultId: '00000000-0000-4000-8000-000000000000', jobId: waiting.id }),
    ).toEqual({ ok: false, message: 'The job was not found.' });
    await machine.remove();
  });

  it('stops a running restore: its agent stops within seconds and the job is Cancelled', async () => {
    const machine = await registeredMachine(svc, { fetch: routeFetch(restoreRoutes).fetch });
    const folder = path.join(machine.work, 'data');
    await mkdir(folder);
    for (let i = 0; i < 6; i++) await writeFile(path.join(folder, `f${i}.bin`), randomBytes(16 * MiB));
    expect((await machine.agent('protect', '--path', folder)).code).toBe(0);
    expect((await machine.agent('backup')).code).toBe(0);
    const recovering = machine.agent('recover', '--path', folder, '--target', path.join(machine.work, 'target'));
    const restore = await until('the running restore', async () => {
      const { rows } = await svc.pool.query<{ operation_id: string }>(
        `select r.operation_id from restores r join operations o on o.id = r.operation_id
         where o.vault_id = $1 and r.running`,
        [machine.vaultId],
      );
      return rows[0];
    });
    const cancelledAt = Date.now();
    expect(await cancelJob(svc, machine.user, { vaultId: machine.vaultId, jobId: restore.operation_id })).toMatchObject(
      { ok: true, message: `The restore of '${folder}' is being cancelled.` },
    );
    const result = await recovering;
    expect(Date.now() - cancelledAt).toBeLessThan(5000);
    expect(result.code).toBe(1);
    expect(await job(machine.vaultId, 'Restore')).toMatchObject({
      status: 'Cancelled',
      message: expect.stringMatching(
        /^The restore of '.*' on 'FILESERVER01' was cancelled: .* cancelled it in the portal\.$/,
      ),
    });
    await machine.remove();
  });
});
