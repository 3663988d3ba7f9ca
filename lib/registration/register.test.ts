import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { epochSeconds, generateMachineKeyPair, newNonce, signMachineToken, signRegistrationProof } from '@/agent/proof';
import { issueVaultCredentials } from '@/lib/credentials/issue';
import { parseVaultCredentialsFile } from '@/lib/credentials/vault-credentials-file';
import { allowReregistration, unregisterServer } from '@/lib/servers/servers';
import { createVault } from '@/lib/vaults/create';
import { saveStorageReplication } from '@/lib/vaults/redundancy';
import { createTestUser, type TestServices, testServices } from '@/testing/services';
import { AGENT_MESSAGES, REGISTRATION_AUDIENCE, type RegistrationClaims } from '@/wire/protocol';
import { machineStatus } from './machine';
import { badMachineName, registerMachine } from './register';

let svc: TestServices;
beforeAll(async () => {
  svc = await testServices();
});
afterAll(() => svc.close());

async function activeVault() {
  const user = await createTestUser(svc);
  const created = await createVault(svc, user, {
    name: `reg-${Date.now()}-${Math.random().toString(36).slice(2, 6)}`,
    region: 'westus',
  });
  if (!created.ok) throw new Error('create failed');
  await svc.pool.query(`update vaults set status = 'Active' where id = $1`, [created.data.vaultId]);
  return { user, vaultId: created.data.vaultId };
}

async function download(vault: Awaited<ReturnType<typeof activeVault>>) {
  const file = await issueVaultCredentials(svc, vault.user, vault.vaultId, 'http://localhost:3000');
  return parseVaultCredentialsFile(file.contents);
}

type Credentials = Awaited<ReturnType<typeof download>>;

async function proofFor(creds: Credentials, machineName: string, options: { now?: Date; key?: string } = {}) {
  const iat = epochSeconds(options.now ?? new Date());
  const machine = generateMachineKeyPair();
  const claims: RegistrationClaims = {
    aud: REGISTRATION_AUDIENCE,
    vaultId: creds.vaultId,
    subscriptionId: creds.subscriptionId,
    machineName,
    machinePublicKey: machine.publicKeyPem,
    nonce: newNonce(),
    iat,
    exp: iat + 300,
  };
  return { proof: await signRegistrationProof(claims, options.key ?? creds.privateKeyPem, creds.thumbprint), machine };
}

async function refusal(promise: Promise<unknown>) {
  const err = (await promise.then(
    () => undefined,
    (e) => e,
  )) as Error | undefined;
  return err?.message;
}

describe('registration', () => {
  it('registers a machine, locks storage replication and records a Register job', async () => {
    const vault = await activeVault();
    const creds = await download(vault);
    const { proof, machine } = await proofFor(creds, 'SERVER01');
    const registered = await registerMachine(svc, proof);
    expect(registered).toMatchObject({ vaultId: vault.vaultId, machineName: 'SERVER01' });
    const { rows } = await svc.pool.query('select replication_locked from vaults where id = $1', [vault.vaultId]);
    expect(rows[0].replication_locked).toBe(true);
    const jobs = await svc.pool.query(
      `select kind, status, user_id from operations where vault_id = $1 and kind = 'Register'`,
      [vault.vaultId],
    );
    expect(jobs.rows).toEqual([{ kind: 'Register', status: 'Succeeded', user_id: vault.user.id }]);

    const token = await signMachineToken(registered.serverId, machine.privateKeyPem, new Date());
    expect(await machineStatus(svc, `Bearer ${token}`)).toMatchObject({
      machineName: 'SERVER01',
      status: 'Registered',
    });
  });

  it('refuses a superseded file, an expired file, a key that does not match, and a replayed proof', async () => {
    const vault = await activeVault();
    const old = await download(vault);
    const current = await download(vault);
    expect(await refusal(registerMachine(svc, (await proofFor(old, 'OLD')).proof))).toBe(AGENT_MESSAGES.invalid);

    // Steer the server's clock past the certificate's end, and the proof's own times with it.
    const later = new Date(current.notAfter.getTime() + 1000);
    expect(await refusal(registerMachine(svc, (await proofFor(current, 'LATE', { now: later })).proof, later))).toBe(
      AGENT_MESSAGES.expired,
    );

    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    });
    expect(
      await refusal(registerMachine(svc, (await proofFor(current, 'FORGED', { key: String(stranger) })).proof)),
    ).toBe(AGENT_MESSAGES.invalid);

    const { proof } = await proofFor(current, 'ONCE');
    await registerMachine(svc, proof);
    expect(await refusal(registerMachine(svc, proof))).toBe(AGENT_MESSAGES.invalid);

    const stale = new Date(Date.now() - 10 * 60 * 1000);
    expect(await refusal(registerMachine(svc, (await proofFor(current, 'STALE', { now: stale })).proof))).toBe(
      AGENT_MESSAGES.invalid,
    );

    for (const garbage of [undefined, 42, '', 'not.a.jws', `${proof}x`]) {
      expect(await refusal(registerMachine(svc, garbage))).toBe(AGENT_MESSAGES.invalid);
    }
    const { rows } = await svc.pool.query('select name from registered_servers where vault_id = $1', [vault.vaultId]);
    expect(rows).toEqual([{ name: 'ONCE' }]);
  });

  it('tells a genuine machine that its name cannot be registered', async () => {
    const vault = await activeVault();
    const creds = await download(vault);
    expect(await refusal(registerMachine(svc, (await proofFor(creds, 'bad name!')).proof))).toBe(
      badMachineName('bad name!'),
    );
  });

  it('refuses a vault that is not active', async () => {
    const vault = await activeVault();
    const creds = await download(vault);
    await svc.pool.query(`update vaults set status = 'Deleting' where id = $1`, [vault.vaultId]);
    expect(await refusal(registerMachine(svc, (await proofFor(creds, 'LATECOMER')).proof))).toBe(
      AGENT_MESSAGES.invalid,
    );
  });

  it('refuses a second registration of a name until ALLOW RE-REGISTRATION, once', async () => {
    const vault = await activeVault();
    const creds = await download(vault);
    const first = await registerMachine(svc, (await proofFor(creds, 'web01')).proof);
    expect(await refusal(registerMachine(svc, (await proofFor(creds, 'WEB01')).proof))).toBe(
      AGENT_MESSAGES.duplicate('WEB01'),
    );
    expect(await allowReregistration(svc, vault.user, { serverId: first.serverId })).toEqual({
      ok: true,
      data: undefined,
    });
    const again = await registerMachine(svc, (await proofFor(creds, 'WEB01')).proof);
    expect(again.serverId).toBe(first.serverId);
    expect(await refusal(registerMachine(svc, (await proofFor(creds, 'web01')).proof))).toBe(
      AGENT_MESSAGES.duplicate('web01'),
    );
  });

  it('DELETE removes the server and revokes its machine; the vault can then be deleted', async () => {
    const vault = await activeVault();
    const creds = await download(vault);
    const { proof, machine } = await proofFor(creds, 'GONE');
    const registered = await registerMachine(svc, proof);
    const stranger = await createTestUser(svc);
    expect(await unregisterServer(svc, stranger, { serverId: registered.serverId })).toMatchObject({ ok: false });
    expect(await unregisterServer(svc, vault.user, { serverId: registered.serverId })).toEqual({
      ok: true,
      data: undefined,
    });
    const token = await signMachineToken(registered.serverId, machine.privateKeyPem, new Date());
    expect(await refusal(machineStatus(svc, `Bearer ${token}`))).toBe(AGENT_MESSAGES.revoked);
    const { rows } = await svc.pool.query(`select kind from operations where vault_id = $1 order by started_at`, [
      vault.vaultId,
    ]);
    expect(rows.map((r) => r.kind)).toEqual(['CreateVault', 'Register', 'Unregister']);
  });

  it('a Configure save racing the first registration never leaves a registered vault with changed replication', async () => {
    for (let i = 0; i < 8; i++) {
      const vault = await activeVault();
      const creds = await download(vault);
      const { proof } = await proofFor(creds, 'RACER');
      const [saved] = await Promise.all([
        saveStorageReplication(svc, vault.user, { vaultId: vault.vaultId, storageReplication: 'LocallyRedundant' }),
        registerMachine(svc, proof),
      ]);
      const { rows } = await svc.pool.query(
        'select storage_replication, replication_locked from vaults where id = $1',
        [vault.vaultId],
      );
      expect(rows[0].replication_locked).toBe(true);
      // Either the save committed before the lock (and the registration saw it), or it was refused.
      expect(rows[0].storage_replication).toBe(saved.ok ? 'LocallyRedundant' : 'GeoRedundant');
      if (!saved.ok)
        expect(saved.message).toBe('Storage replication cannot be changed: an item is registered to this vault.');
      const other = rows[0].storage_replication === 'GeoRedundant' ? 'LocallyRedundant' : 'GeoRedundant';
      expect(
        await saveStorageReplication(svc, vault.user, { vaultId: vault.vaultId, storageReplication: other }),
      ).toMatchObject({ ok: false });
    }
  });
});
