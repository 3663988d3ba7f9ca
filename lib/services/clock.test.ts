import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { epochSeconds, generateMachineKeyPair, newNonce, signRegistrationProof } from '@/agent/proof';
import { issueVaultCredentials } from '@/lib/credentials/issue';
import { parseVaultCredentialsFile } from '@/lib/credentials/vault-credentials-file';
import { acceptInvitation, invite, viewInvitation } from '@/lib/people/people';
import { messages } from '@/lib/people/validation';
import { registerMachine } from '@/lib/registration/register';
import { applyRetention } from '@/lib/retention/apply';
import { createVault } from '@/lib/vaults/create';
import { registeredMachine } from '@/testing/backups';
import { createTestUser, type TestServices, testServices } from '@/testing/services';
import { AGENT_MESSAGES, REGISTRATION_AUDIENCE, type RegistrationClaims } from '@/wire/protocol';
import { DatabaseClock } from './clock';

// The portal's one clock: SQL's portal_now() and JavaScript's svc.clock move together, and the rules that depend on
// time follow it at once, without waiting.

let svc: TestServices;
beforeAll(async () => {
  svc = await testServices();
});
afterEach(() => svc.clock.setOffset(0));
afterAll(() => svc.close());

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The database's portal_now() and now() in one statement (so one transaction's now()). */
async function databaseTimes() {
  const { rows } = await svc.pool.query<{ portal: Date; real: Date }>('select portal_now() as portal, now() as real');
  return rows[0]!;
}

async function activeVault() {
  const user = await createTestUser(svc);
  const created = await createVault(svc, user, {
    name: `clock-${Date.now()}-${Math.random().toString(36).slice(2, 6)}`,
    region: 'westus',
  });
  if (!created.ok) throw new Error('create failed');
  await svc.pool.query(`update vaults set status = 'Active' where id = $1`, [created.data.vaultId]);
  return { user, vaultId: created.data.vaultId };
}

/** A registration proof as the agent makes it, dated by the portal's clock. */
async function proofFor(creds: ReturnType<typeof parseVaultCredentialsFile>, machineName: string) {
  const iat = epochSeconds(svc.clock.now());
  const claims: RegistrationClaims = {
    aud: REGISTRATION_AUDIENCE,
    vaultId: creds.vaultId,
    subscriptionId: creds.subscriptionId,
    machineName,
    machinePublicKey: generateMachineKeyPair().publicKeyPem,
    nonce: newNonce(),
    iat,
    exp: iat + 300,
  };
  return signRegistrationProof(claims, creds.privateKeyPem, creds.thumbprint);
}

async function refusal(promise: Promise<unknown>) {
  const err = (await promise.then(
    () => undefined,
    (e) => e,
  )) as Error | undefined;
  return err?.message;
}

describe('the portal clock', () => {
  it('moves portal_now() with setOffset, forwards and back, in step with clock.now()', async () => {
    const still = await databaseTimes();
    expect(still.portal.getTime()).toBe(still.real.getTime());
    expect(Math.abs(still.portal.getTime() - svc.clock.nowMs())).toBeLessThan(1000);

    for (const offset of [49 * HOUR, -3 * DAY, 90 * DAY + 1234]) {
      await svc.clock.setOffset(offset);
      expect(svc.clock.offsetMs()).toBe(offset);
      const moved = await databaseTimes();
      expect(moved.portal.getTime() - moved.real.getTime()).toBe(offset);
      expect(Math.abs(moved.portal.getTime() - svc.clock.now().getTime())).toBeLessThan(1000);
      // Column defaults (migration 0015) take the same time.
      const { rows } = await svc.pool.query<{ created_at: Date }>(
        `insert into subscriptions (display_name) values ('clock') returning created_at`,
      );
      expect(Math.abs(rows[0]!.created_at.getTime() - svc.clock.nowMs())).toBeLessThan(1000);
      // Another process's clock reads the same offset.
      const other = new DatabaseClock(svc.pool);
      await other.refresh();
      expect(other.offsetMs()).toBe(offset);
    }

    await svc.clock.setOffset(0);
    const back = await databaseTimes();
    expect(back.portal.getTime()).toBe(back.real.getTime());
    expect(Math.abs(back.portal.getTime() - Date.now())).toBeLessThan(1000);
  });

  it('vault credentials are valid 48 hours by the clock: registering with them 49 hours on is refused as expired', async () => {
    // Issued at the portal's time, whatever it is.
    await svc.clock.setOffset(10 * DAY);
    const vault = await activeVault();
    const file = await issueVaultCredentials(svc, vault.user, vault.vaultId, 'http://localhost:3000');
    const creds = parseVaultCredentialsFile(file.contents);
    expect(Math.abs(creds.notAfter.getTime() - (svc.clock.nowMs() + 48 * HOUR))).toBeLessThan(5000);

    await svc.clock.setOffset(10 * DAY + 47 * HOUR);
    expect(await registerMachine(svc, await proofFor(creds, 'WITHIN'))).toMatchObject({
      vaultId: vault.vaultId,
      machineName: 'WITHIN',
    });
    // The triggers' times follow it too: the vault's lock (0009) and the operation log's entry (0011), as of 0015.
    const { rows: stamped } = await svc.pool.query<{ updated_at: Date; at: Date }>(
      `select v.updated_at, (select max(at) from operation_logs where vault_id = v.id) as at from vaults v where v.id = $1`,
      [vault.vaultId],
    );
    expect(Math.abs(stamped[0]!.updated_at.getTime() - svc.clock.nowMs())).toBeLessThan(5000);
    expect(Math.abs(stamped[0]!.at.getTime() - svc.clock.nowMs())).toBeLessThan(5000);

    await svc.clock.setOffset(10 * DAY + 49 * HOUR);
    expect(await refusal(registerMachine(svc, await proofFor(creds, 'LATE')))).toBe(AGENT_MESSAGES.expired);
    const { rows } = await svc.pool.query('select name from registered_servers where vault_id = $1', [vault.vaultId]);
    expect(rows).toEqual([{ name: 'WITHIN' }]);
  });

  it('an invitation expires 7 days on by the clock, and is pending again when the clock goes back', async () => {
    const owner = await createTestUser(svc);
    const email = `clock-${Date.now()}@example.com`;
    const invited = await invite(
      svc,
      owner,
      { subscriptionId: owner.subscriptions[0]!.id, email, role: 'Reader' },
      'https://backup.example.com',
    );
    if (!invited.ok) throw new Error(JSON.stringify(invited));
    const token = invited.data.link.split('/').pop()!;
    expect((await viewInvitation(svc.db, token)).state).toBe('pending');

    await svc.clock.setOffset(8 * DAY);
    expect(await viewInvitation(svc.db, token)).toEqual({ state: 'expired', message: messages.link.expired });
    const password = 'a-long-enough-password';
    expect(await acceptInvitation(svc, null, { token, password, confirmPassword: password })).toEqual({
      ok: false,
      message: messages.link.expired,
    });

    await svc.clock.setOffset(6 * DAY);
    expect((await viewInvitation(svc.db, token)).state).toBe('pending');
  });

  it('retention deletes the points the policy no longer keeps once the clock is 40 days on', async () => {
    const machine = await registeredMachine(svc);
    const folder = path.join(machine.work, 'data');
    await mkdir(folder);
    expect((await machine.agent('protect', '--path', folder)).code).toBe(0);
    for (let i = 0; i < 2; i++) {
      await writeFile(path.join(folder, 'data.bin'), `backup ${i}`);
      expect((await machine.agent('backup')).code).toBe(0);
    }
    const points = async () => {
      const { rows } = await svc.pool.query<{ id: string; item_id: string }>(
        'select id, item_id from recovery_points where vault_id = $1 order by taken_at',
        [machine.vaultId],
      );
      return rows;
    };
    const taken = await points();
    expect(taken).toHaveLength(2);
    const itemId = taken[0]!.item_id;

    // DefaultPolicy keeps daily points 30 days: today both stay, 40 days on only the newest (always kept) does.
    expect(await applyRetention(svc, itemId)).toEqual({ deleted: 0 });
    await svc.clock.setOffset(40 * DAY);
    expect(await applyRetention(svc, itemId)).toEqual({ deleted: 1 });
    expect((await points()).map((p) => p.id)).toEqual([taken[1]!.id]);
    await machine.remove();
  });
});
