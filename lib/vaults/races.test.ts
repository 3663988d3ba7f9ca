import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dismissOperation } from '@/lib/operations/queries';
import { QUEUES } from '@/lib/queues';
import { startOperationWorkers } from '@/server/worker';
import { createTestUser, type TestServices, testServices } from '@/testing/services';
import { createVault } from './create';
import { deleteMessages, deleteVault } from './delete';
import { saveStorageReplication } from './redundancy';

// The rules that used to be read-then-write in JavaScript, on the real database with real concurrent transactions.
let svc: TestServices;
beforeAll(async () => {
  svc = await testServices();
});
afterAll(() => svc.close());

async function activeVault(name: string) {
  const user = await createTestUser(svc);
  const created = await createVault(svc, user, { name, region: 'westus' });
  if (!created.ok) throw new Error('create failed');
  await svc.pool.query(`update vaults set status = 'Active' where id = $1`, [created.data.vaultId]);
  return { user, vaultId: created.data.vaultId };
}

async function vaultRow(vaultId: string) {
  const { rows } = await svc.pool.query('select status, replication_locked from vaults where id = $1', [vaultId]);
  return rows[0] as { status: string; replication_locked: boolean } | undefined;
}

describe('delete racing the first registration', () => {
  it('refuses the delete when the registration holds the vault first, and the vault keeps its server', async () => {
    const { user, vaultId } = await activeVault('race-register-first');
    const registration = await svc.pool.connect();
    try {
      await registration.query('begin');
      // A server row's insert locks its vault (the trigger); the registration has not committed yet.
      await registration.query(`insert into registered_servers (vault_id, name) values ($1, 'SERVER1')`, [vaultId]);
      const deleting = deleteVault(svc, user, { vaultId, reason: 'Other' });
      await new Promise((r) => setTimeout(r, 300));
      await registration.query('commit');
      expect(await deleting).toEqual({ ok: false, message: deleteMessages.registered });
    } finally {
      registration.release();
    }
    expect(await vaultRow(vaultId)).toEqual({ status: 'Active', replication_locked: true });
  });

  it('refuses the registration when the delete came first, and the vault goes without a server', async () => {
    const { user, vaultId } = await activeVault('race-delete-first');
    const deleting = await svc.pool.connect();
    try {
      await deleting.query('begin');
      await deleting.query('select id from vaults where id = $1 for update', [vaultId]);
      const registering = svc.pool.query(`insert into registered_servers (vault_id, name) values ($1, 'SERVER1')`, [
        vaultId,
      ]);
      const outcome = registering.then(
        () => 'registered',
        (err: { constraint?: string }) => err.constraint,
      );
      await new Promise((r) => setTimeout(r, 300));
      await deleting.query(`update vaults set status = 'Deleting' where id = $1`, [vaultId]);
      await deleting.query('commit');
      expect(await outcome).toBe('registered_servers_vault_active');
    } finally {
      deleting.release();
    }
    const { rows } = await svc.pool.query('select count(*)::int as n from registered_servers where vault_id = $1', [
      vaultId,
    ]);
    expect(rows[0].n).toBe(0);
    expect(await deleteVault(svc, user, { vaultId, reason: 'Other' })).toEqual({
      ok: false,
      message: deleteMessages.busy('race-delete-first'),
    });
  });

  it('locks storage replication when a server row appears, whoever inserts it', async () => {
    const { user, vaultId } = await activeVault('lock-by-trigger');
    await svc.pool.query(`insert into registered_servers (vault_id, name) values ($1, 'SERVER1')`, [vaultId]);
    expect((await vaultRow(vaultId))?.replication_locked).toBe(true);
    expect(await saveStorageReplication(svc, user, { vaultId, storageReplication: 'LocallyRedundant' })).toMatchObject({
      ok: false,
    });
  });

  it('never lets Configure change a vault that is being deleted, nor notify for a save that changed nothing', async () => {
    const { user, vaultId } = await activeVault('configure-rules');
    const ops = async () =>
      (
        await svc.pool.query(
          `select count(*)::int as n from operations where vault_id = $1 and kind = 'ConfigureVault'`,
          [vaultId],
        )
      ).rows[0].n as number;
    const saves = await Promise.all(
      Array.from({ length: 5 }, () =>
        saveStorageReplication(svc, user, { vaultId, storageReplication: 'LocallyRedundant' }),
      ),
    );
    expect(saves.every((s) => s.ok)).toBe(true);
    expect(await ops()).toBe(1);
    expect((await deleteVault(svc, user, { vaultId, reason: 'Other' })).ok).toBe(true);
    expect(await saveStorageReplication(svc, user, { vaultId, storageReplication: 'GeoRedundant' })).toEqual({
      ok: false,
      message: "The backup vault 'configure-rules' is being deleted: it cannot be changed now.",
    });
    const { rows } = await svc.pool.query('select storage_replication from vaults where id = $1', [vaultId]);
    expect(rows[0].storage_replication).toBe('LocallyRedundant');
    expect(await ops()).toBe(1);
  });
});

describe('a job that finally fails', () => {
  it('ends its operation Failed with a message the user can dismiss, and the vault is Active again', async () => {
    await startOperationWorkers(svc);
    const { user, vaultId } = await activeVault('stuck-delete');
    // What the old race left behind: a Deleting vault with a server, whose removal fails on the foreign key each time.
    await svc.pool.query(`insert into registered_servers (vault_id, name) values ($1, 'SERVER1')`, [vaultId]);
    await svc.pool.query(`update vaults set status = 'Deleting' where id = $1`, [vaultId]);
    const { rows } = await svc.pool.query(
      `insert into operations (user_id, subscription_id, vault_id, vault_name, kind, message)
       select $1, subscription_id, id, name, 'DeleteVault', 'Deleting...' from vaults where id = $2 returning id`,
      [user.id, vaultId],
    );
    const operationId = rows[0].id as string;
    await svc.boss.send(QUEUES.deleteVault, { operationId }, { retryLimit: 1, retryDelay: 0 });

    const deadline = Date.now() + 30_000;
    let op: { status: string; message: string } | undefined;
    while (Date.now() < deadline) {
      op = (await svc.pool.query('select status, message from operations where id = $1', [operationId])).rows[0];
      if (op?.status !== 'InProgress') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(op).toEqual({
      status: 'Failed',
      message:
        "The backup vault 'stuck-delete' could not be deleted: the deletion kept failing, so the vault stays. Try again later.",
    });
    expect((await vaultRow(vaultId))?.status).toBe('Active');
    expect(await dismissOperation(svc.db, user.id, operationId)).toBe(true);
  }, 40_000);
});
