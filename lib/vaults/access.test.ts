import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messages } from '@/lib/auth/access';
import type { PortalUser, Role } from '@/lib/auth/users';
import { PortalError } from '@/lib/errors';
import { freshDatabase, type TestDatabase } from '@/testing/db';
import { allows, checkSubscriptionAccess, checkVaultAccess, type VaultAccessLevel } from './access';

let t: TestDatabase;
let subscription: { id: string; displayName: string };
let stranger: PortalUser;
let activeVault: string;
let deletingVault: string;

const LEVELS: VaultAccessLevel[] = ['read', 'write', 'manage'];
const RULE: Record<Role, VaultAccessLevel[]> = {
  Owner: ['read', 'write', 'manage'],
  Contributor: ['read', 'write'],
  Reader: ['read'],
};

async function member(role: Role, of = subscription): Promise<PortalUser> {
  const { rows } = await t.pool.query<{ id: string }>(
    `insert into users (email, password_hash) values ($1, 'x') returning id`,
    [`${role.toLowerCase()}-${Math.random()}@example.com`],
  );
  await t.pool.query('insert into memberships (user_id, subscription_id, role) values ($1, $2, $3)', [
    rows[0]!.id,
    of.id,
    role,
  ]);
  return { id: rows[0]!.id, email: 'x', subscriptions: [{ ...of, role }] };
}

async function vault(name: string, status: string, of = subscription): Promise<string> {
  const { rows } = await t.pool.query<{ id: string }>(
    `insert into vaults (subscription_id, name, region, status) values ($1, $2, 'westus', $3) returning id`,
    [of.id, name, status],
  );
  return rows[0]!.id;
}

beforeAll(async () => {
  t = await freshDatabase();
  const { rows } = await t.pool.query<{ id: string; display_name: string }>(
    `insert into subscriptions (display_name) values ('Roles'), ('Elsewhere') returning id, display_name`,
  );
  subscription = { id: rows[0]!.id, displayName: rows[0]!.display_name };
  stranger = await member('Owner', { id: rows[1]!.id, displayName: rows[1]!.display_name });
  activeVault = await vault('active-vault', 'Active');
  deletingVault = await vault('deleting-vault', 'Deleting');
});
afterAll(() => t.close());

describe('checkVaultAccess', () => {
  for (const role of ['Owner', 'Contributor', 'Reader'] as const) {
    it(`gives a ${role} exactly ${RULE[role].join(', ')}`, async () => {
      const user = await member(role);
      for (const level of LEVELS) {
        const checked = await checkVaultAccess(t.db, user, activeVault, level);
        if (RULE[role].includes(level)) {
          expect(checked, `${role} ${level}`).not.toBeInstanceOf(PortalError);
          expect((checked as { vault: { id: string } }).vault.id).toBe(activeVault);
        } else {
          const message = level === 'manage' ? messages.ownersOnly : messages.readOnly;
          expect(checked, `${role} ${level}`).toEqual(new PortalError('forbidden', message));
          expect((checked as PortalError).code).toBe('forbidden');
        }
        expect(allows(user.subscriptions[0], level)).toBe(RULE[role].includes(level));
      }
    });
  }

  it("answers not found for another subscription's vault at every level, never forbidden", async () => {
    for (const level of LEVELS) {
      const checked = await checkVaultAccess(t.db, stranger, activeVault, level);
      expect(checked).toBeInstanceOf(PortalError);
      expect((checked as PortalError).code).toBe('not_found');
      expect((checked as PortalError).message).toBe(messages.vaultNotFound);
    }
  });

  it('answers not found for ids that are not UUIDs, without asking the database to parse them', async () => {
    const owner = await member('Owner');
    for (const id of ['aaaa', '-'.repeat(36), `${activeVault}x`, '', 42, null, undefined, { id: activeVault }]) {
      const checked = await checkVaultAccess(t.db, owner, id, 'read');
      expect((checked as PortalError).code, String(id)).toBe('not_found');
    }
    const unknown = await checkVaultAccess(t.db, owner, '00000000-0000-4000-8000-000000000000', 'read');
    expect((unknown as PortalError).code).toBe('not_found');
  });

  it('refuses a change that needs the vault Active while it is not, and still lets everyone read it', async () => {
    const owner = await member('Owner');
    const refused = await checkVaultAccess(t.db, owner, deletingVault, 'write', { states: ['Active'] });
    expect(refused).toEqual(
      new PortalError('conflict', "The backup vault 'deleting-vault' is being deleted: it cannot be changed now."),
    );
    expect((refused as PortalError).code).toBe('conflict');
    const reader = await member('Reader');
    expect(await checkVaultAccess(t.db, reader, deletingVault, 'read')).not.toBeInstanceOf(PortalError);
    // The role is checked before the state: a Reader learns nothing more than "read access".
    expect(
      (await checkVaultAccess(t.db, reader, deletingVault, 'write', { states: ['Active'] })) as PortalError,
    ).toEqual(new PortalError('forbidden', messages.readOnly));
    expect(await checkVaultAccess(t.db, owner, activeVault, 'write', { states: ['Active'] })).not.toBeInstanceOf(
      PortalError,
    );
  });
});

describe('checkSubscriptionAccess', () => {
  it("follows the same rule for a subscription's own things, and a stranger's or a malformed id is not found", async () => {
    for (const role of ['Owner', 'Contributor', 'Reader'] as const) {
      const user = await member(role);
      for (const level of LEVELS) {
        const checked = checkSubscriptionAccess(user, subscription.id, level);
        if (RULE[role].includes(level)) expect(checked).toMatchObject({ id: subscription.id, role });
        else {
          const message = level === 'manage' ? messages.ownersOnly : messages.readOnly;
          expect(checked).toEqual(new PortalError('forbidden', message));
        }
      }
    }
    for (const id of [subscription.id, 'aaaa', undefined, 7]) {
      expect((checkSubscriptionAccess(stranger, id, 'read') as PortalError).code).toBe('not_found');
    }
  });
});
