import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { issueVaultCredentials } from '@/lib/credentials/issue';
import { createVault } from '@/lib/vaults/create';
import { deleteVaultOrThrow } from '@/lib/vaults/delete';
import { provisionVault, removeVault } from '@/lib/vaults/provisioning';
import { armTestClient, vaultUrl } from '@/testing/arm';
import { PORTAL, registeredMachine, routeFetch } from '@/testing/backups';
import { restoreRoutes } from '@/testing/restore';
import { createTestUser, type TestServices, testServices } from '@/testing/services';
import { setFaults } from './control';

let svc: TestServices;

beforeAll(async () => {
  svc = await testServices({ PORTAL_EMULATOR: '1' });
});
afterEach(() => svc.faults.clear());
afterAll(async () => {
  await svc.close();
});

async function operationOf(vaultId: string, kind: string) {
  const { rows } = await svc.pool.query(
    `select id, status, message from operations where vault_id = $1 and kind = $2 order by started_at desc limit 1`,
    [vaultId, kind],
  );
  return rows[0];
}

describe('fault rules fail each operation with their message, where the user sees it', () => {
  it('CreateVault: the notification says why, the vault is Failed; other vaults are untouched', async () => {
    const user = await createTestUser(svc);
    setFaults(svc, [{ operation: 'CreateVault', match: { name: 'doomed' }, error: 'The region is out of capacity.' }]);
    const doomed = await createVault(svc, user, { name: 'doomed', region: 'westus' });
    const fine = await createVault(svc, user, { name: 'fine', region: 'westus' });
    if (!doomed.ok || !fine.ok) throw new Error('create refused');
    await provisionVault(svc, doomed.data.operationId);
    await provisionVault(svc, fine.data.operationId);
    expect(await operationOf(doomed.data.vaultId, 'CreateVault')).toMatchObject({
      status: 'Failed',
      message: "The backup vault 'doomed' could not be created: The region is out of capacity.",
    });
    expect(await operationOf(fine.data.vaultId, 'CreateVault')).toMatchObject({ status: 'Succeeded' });
    const { rows } = await svc.pool.query(`select name, status from vaults where id = any($1::uuid[]) order by name`, [
      [doomed.data.vaultId, fine.data.vaultId],
    ]);
    expect(rows).toEqual([
      { name: 'doomed', status: 'Failed' },
      { name: 'fine', status: 'Active' },
    ]);
  });

  it('DeleteVault: the deletion fails with the message and the vault stays Active', async () => {
    const user = await createTestUser(svc);
    const made = await createVault(svc, user, { name: 'keeper', region: 'westus' });
    if (!made.ok) throw new Error('create refused');
    await provisionVault(svc, made.data.operationId);
    setFaults(svc, [{ operation: 'DeleteVault', error: 'The vault is held by a legal hold.', times: 1 }]);
    const deleting = await deleteVaultOrThrow(svc, user, { vaultId: made.data.vaultId, reason: 'Other' });
    await removeVault(svc, deleting.data.operationId);
    expect(await operationOf(made.data.vaultId, 'DeleteVault')).toMatchObject({
      status: 'Failed',
      message: "The backup vault 'keeper' could not be deleted: The vault is held by a legal hold.",
    });
    expect((await svc.pool.query(`select status from vaults where id = $1`, [made.data.vaultId])).rows).toEqual([
      { status: 'Active' },
    ]);
  });

  it('DownloadCredentials, RegisterServer, Backup and Restore: the download, the agent’s error line and the job', async () => {
    const machine = await registeredMachine(svc, { name: 'FAULTY', fetch: routeFetch(restoreRoutes).fetch });
    const { rows: vault } = await svc.pool.query(`select name from vaults where id = $1`, [machine.vaultId]);
    setFaults(svc, [
      { operation: 'DownloadCredentials', match: { name: vault[0].name }, error: 'Downloads are paused.' },
    ]);
    await expect(issueVaultCredentials(svc, machine.user, machine.vaultId, PORTAL)).rejects.toMatchObject({
      message: 'Downloads are paused.',
    });

    setFaults(svc, [{ operation: 'RegisterServer', match: { name: 'BLOCKED' }, error: 'Registrations are paused.' }]);
    await expect(
      registeredMachine(svc, { name: 'BLOCKED', user: machine.user, vaultId: machine.vaultId }),
    ).rejects.toThrow('Registrations are paused.');

    const folder = path.join(machine.work, 'data');
    await mkdir(folder, { recursive: true });
    await writeFile(path.join(folder, 'a.txt'), 'alpha\n');
    expect((await machine.agent('protect', '--path', folder)).code).toBe(0);
    setFaults(svc, [
      { operation: 'Backup', match: { name: 'faulty' }, error: 'The backup store is read-only.', times: 1 },
    ]);
    const failed = await machine.agent('backup');
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).toContain('The backup store is read-only.');
    expect(await operationOf(machine.vaultId, 'Backup')).toMatchObject({
      status: 'Failed',
      message: `The backup of '${folder}' on 'FAULTY' failed: The backup store is read-only.`,
    });
    // times: 1 — the next backup goes through.
    expect((await machine.agent('backup')).code).toBe(0);

    setFaults(svc, [{ operation: 'Restore', error: 'Restores are paused.' }]);
    const target = path.join(machine.work, 'restored');
    const restore = await machine.agent('recover', '--path', folder, '--target', target);
    expect(restore.code).not.toBe(0);
    expect(restore.stderr).toContain('Restores are paused.');
    expect(svc.faults.list()[0]!.fired).toBe(1);
    await machine.remove();
  });

  it('Arm: the API answers its error with the message, for the vault the rule names', async () => {
    const arm = armTestClient(svc);
    const owner = await arm.caller();
    const put = (name: string) =>
      arm.call('PUT', vaultUrl(owner.sub, 'rg', name), {
        token: owner.token,
        body: { location: 'westus', sku: { name: 'Standard' }, properties: {} },
      });
    setFaults(svc, [{ operation: 'Arm', match: { name: 'arm-doomed' }, error: 'The ARM API is throttled.' }]);
    const refused = await put('arm-doomed');
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(JSON.stringify(refused.body)).toContain('The ARM API is throttled.');
    expect((await put('arm-fine')).status).toBeLessThan(300);
  });
});
