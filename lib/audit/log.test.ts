import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PortalUser } from '@/lib/auth/users';
import { issueVaultCredentials } from '@/lib/credentials/issue';
import { assignPolicy, createPolicy, deletePolicy, updatePolicy } from '@/lib/policies/policies';
import { createToken, revokeToken } from '@/lib/tokens/tokens';
import { createVault } from '@/lib/vaults/create';
import { createTestUser, type TestServices, testServices } from '@/testing/services';
import { parseLogFilters } from './filters';
import { logChange } from './log';
import { listLogEntries, personalChain, visibleChains } from './queries';
import { checkChains } from './verify';

let svc: TestServices;
beforeAll(async () => {
  svc = await testServices();
});
afterAll(() => svc.close());

/** `count` entries in the user's (first) subscription, one after another. */
async function logSome(user: PortalUser, count: number) {
  for (let i = 1; i <= count; i++) {
    await logChange(svc.db, {
      actor: user,
      subscriptionId: user.subscriptions[0]!.id,
      category: 'Configuration',
      operation: `Change ${i}`,
    });
  }
}

/** Runs SQL as the superuser with every trigger off: someone bypassing the database's rules. */
async function bypassing(statements: string[], values: unknown[]) {
  const client = await svc.pool.connect();
  try {
    await client.query('set session_replication_role = replica');
    for (const text of statements) await client.query(text, values);
  } finally {
    await client.query('reset session_replication_role');
    client.release();
  }
}

async function activeVault(user: PortalUser) {
  const created = await createVault(svc, user, { name: `log-${randomBytes(4).toString('hex')}`, region: 'westus' });
  if (!created.ok) throw new Error('create failed');
  await svc.pool.query(`update vaults set status = 'Active' where id = $1`, [created.data.vaultId]);
  return created.data.vaultId;
}

async function entries(user: PortalUser, category: string) {
  return (await listLogEntries(svc.db, user, { category: category as 'Policies' })).entries;
}

describe('the operation logs chain', () => {
  it('numbers 50 entries appended at once 1..50 in one intact chain', async () => {
    const user = await createTestUser(svc);
    const sub = user.subscriptions[0]!.id;
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        logChange(svc.db, { actor: user, subscriptionId: sub, category: 'Configuration', operation: `Change ${i}` }),
      ),
    );
    const { rows } = await svc.pool.query('select seq from operation_logs where chain = $1 order by seq', [sub]);
    expect(rows.map((r) => Number(r.seq))).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(await checkChains(svc.db, [sub])).toEqual({ chains: 1, entries: 50, breaks: [] });
  });

  it('refuses to change, remove or truncate entries and heads', async () => {
    const user = await createTestUser(svc);
    await logSome(user, 1);
    const sub = user.subscriptions[0]!.id;
    for (const statement of [
      `update operation_logs set status = 'Failed' where chain = $1`,
      'delete from operation_logs where chain = $1',
      `update operation_log_heads set seq = 0 where chain = $1`,
      'delete from operation_log_heads where chain = $1',
    ]) {
      await expect(svc.pool.query(statement, [sub])).rejects.toThrow(/cannot be changed or removed/);
    }
    await expect(svc.pool.query('truncate operation_logs')).rejects.toThrow(/cannot be changed or removed/);
    await expect(svc.pool.query('truncate operation_log_heads')).rejects.toThrow(/cannot be changed or removed/);
    expect((await checkChains(svc.db, [sub])).breaks).toEqual([]);
  });

  it('reports an entry edited behind the database as changed, with or without its hash recomputed', async () => {
    const user = await createTestUser(svc);
    const sub = user.subscriptions[0]!.id;
    await logSome(user, 6);
    await bypassing([`update operation_logs set actor = 'someone-else' where chain = $1 and seq = 3`], [sub]);
    expect((await checkChains(svc.db, [sub])).breaks).toEqual([{ chain: sub, kind: 'changed', from: 3, to: 3 }]);

    const other = await createTestUser(svc);
    const otherSub = other.subscriptions[0]!.id;
    await logSome(other, 6);
    await bypassing(
      [
        `update operation_logs set status = 'Failed' where chain = $1 and seq = 4`,
        'update operation_logs l set hash = operation_log_hash(l) where chain = $1 and seq = 4',
      ],
      [otherSub],
    );
    expect((await checkChains(svc.db, [otherSub])).breaks).toEqual([
      { chain: otherSub, kind: 'changed', from: 4, to: 4 },
    ]);
  });

  it('reports a removed entry, a removed newest entry and a rewritten newest entry', async () => {
    const user = await createTestUser(svc);
    const sub = user.subscriptions[0]!.id;
    await logSome(user, 5);
    await bypassing(['delete from operation_logs where chain = $1 and seq = 2'], [sub]);
    expect((await checkChains(svc.db, [sub])).breaks).toEqual([{ chain: sub, kind: 'missing', from: 2, to: 2 }]);

    const second = await createTestUser(svc);
    const secondSub = second.subscriptions[0]!.id;
    await logSome(second, 5);
    await bypassing(['delete from operation_logs where chain = $1 and seq = 5'], [secondSub]);
    expect((await checkChains(svc.db, [secondSub])).breaks).toEqual([
      { chain: secondSub, kind: 'missing', from: 5, to: 5 },
    ]);

    const third = await createTestUser(svc);
    const thirdSub = third.subscriptions[0]!.id;
    await logSome(third, 3);
    await bypassing(
      [
        `update operation_logs set operation = 'Nothing happened' where chain = $1 and seq = 3`,
        'update operation_logs l set hash = operation_log_hash(l) where chain = $1 and seq = 3',
      ],
      [thirdSub],
    );
    expect((await checkChains(svc.db, [thirdSub])).breaks).toEqual([
      { chain: thirdSub, kind: 'changed', from: 3, to: 3 },
    ]);
  });
  it('reports a chain emptied behind its head, and an entry added past the head', async () => {
    const user = await createTestUser(svc);
    const sub = user.subscriptions[0]!.id;
    await logSome(user, 3);
    await bypassing(['delete from operation_logs where chain = $1'], [sub]);
    expect(await checkChains(svc.db, [sub])).toEqual({
      chains: 0,
      entries: 0,
      breaks: [{ chain: sub, kind: 'missing', from: 1, to: 3 }],
    });

    const other = await createTestUser(svc);
    const otherSub = other.subscriptions[0]!.id;
    await logSome(other, 2);
    // Appended by hand, linked and hashed like the trigger would, but the head never moved.
    await bypassing(
      [
        `insert into operation_logs (chain, seq, actor, subscription_id, category, operation, status, prev_hash)
         select chain, 3, actor, subscription_id, category, 'Forged', status, hash
         from operation_logs where chain = $1 and seq = 2`,
        'update operation_logs l set hash = operation_log_hash(l) where chain = $1 and seq = 3',
      ],
      [otherSub],
    );
    expect((await checkChains(svc.db, [otherSub])).breaks).toEqual([
      { chain: otherSub, kind: 'unrecorded', from: 3, to: 3 },
    ]);
  });
});

describe('what is logged', () => {
  it('a vault credentials download, with the thumbprints current before and after', async () => {
    const user = await createTestUser(svc);
    const vaultId = await activeVault(user);
    await issueVaultCredentials(svc, user, vaultId, 'http://localhost:3000');
    await issueVaultCredentials(svc, user, vaultId, 'http://localhost:3000');
    const { rows } = await svc.pool.query(
      'select thumbprint from vault_credentials where vault_id = $1 order by created_at',
      [vaultId],
    );
    const logged = await entries(user, 'Credentials');
    expect(logged).toHaveLength(2);
    expect(logged[0]).toMatchObject({
      actor: user.email,
      operation: 'Download vault credentials',
      status: 'Succeeded',
      subscriptionId: user.subscriptions[0]!.id,
      before: { current: [rows[0]!.thumbprint] },
      after: { current: [rows[1]!.thumbprint] },
    });
    expect(logged[1]!.before).toEqual({ current: [] });
  });

  it('policy create, change, assignment and delete, each once, with before and after', async () => {
    const user = await createTestUser(svc);
    const vaultId = await activeVault(user);
    const daily = {
      vaultId,
      frequency: 'Daily',
      days: [],
      times: [22 * 60],
      dailyDays: 30,
      weeklyWeeks: null,
      monthlyMonths: null,
      yearlyYears: null,
    };
    const created = await createPolicy(svc, user, { ...daily, name: 'Nightly' });
    if (!created.ok) throw new Error(JSON.stringify(created));
    const policyId = created.data.policyId;
    expect((await updatePolicy(svc, user, { ...daily, policyId, dailyDays: 60 })).ok).toBe(true);
    const server = await svc.pool.query(
      `insert into registered_servers (vault_id, name) values ($1, 'web01') returning id`,
      [vaultId],
    );
    const item = await svc.pool.query(
      `insert into protected_items (vault_id, server_id, path, status) values ($1, $2, '/srv', 'Protected') returning id`,
      [vaultId, server.rows[0].id],
    );
    expect((await assignPolicy(svc, user, { itemId: item.rows[0].id, policyId })).ok).toBe(true);
    expect(
      (await assignPolicy(svc, user, { itemId: item.rows[0].id, policyId: await defaultPolicy(vaultId) })).ok,
    ).toBe(true);
    expect((await deletePolicy(svc, user, { vaultId, policyId })).ok).toBe(true);

    const logged = (await entries(user, 'Policies')).reverse();
    expect(logged.map((e) => e.operation)).toEqual([
      'Create policy',
      'Change policy',
      'Assign policy',
      'Assign policy',
      'Delete policy',
    ]);
    expect(logged[0]).toMatchObject({ target: 'Nightly', before: null, after: { name: 'Nightly' } });
    expect(logged[1]).toMatchObject({
      before: { retention: { dailyDays: 30 } },
      after: { retention: { dailyDays: 60 } },
    });
    expect(logged[2]).toMatchObject({ before: { policy: 'DefaultPolicy' }, after: { policy: 'Nightly' } });
    expect(logged[4]).toMatchObject({ before: { name: 'Nightly' }, after: null });
    // Not twice: the operations these changes record (jobs, notifications) are not logged again as configuration.
    expect(await entries(user, 'Configuration')).toEqual([]);
    expect((await checkChains(svc.db, visibleChains(user))).breaks).toEqual([]);
  });

  it('personal access tokens created and revoked, in the person’s own chain', async () => {
    const user = await createTestUser(svc);
    const { id, token } = await createToken(svc.db, user);
    expect(await revokeToken(svc.db, user, id)).toBe(true);
    const logged = await entries(user, 'Tokens');
    expect(logged.map((e) => [e.operation, e.chain, e.subscriptionId])).toEqual([
      ['Revoke personal access token', personalChain(user.id), null],
      ['Create personal access token', personalChain(user.id), null],
    ]);
    expect(JSON.stringify(logged)).not.toContain(token.slice(10));
  });
});

async function defaultPolicy(vaultId: string): Promise<string> {
  const { rows } = await svc.pool.query(
    `select id from backup_policies where vault_id = $1 and name = 'DefaultPolicy'`,
    [vaultId],
  );
  return rows[0].id;
}

describe('the page’s list', () => {
  it('shows a person only their subscriptions’ entries and their own, never another’s', async () => {
    const alice = await createTestUser(svc);
    const bob = await createTestUser(svc);
    await logSome(alice, 2);
    await createToken(svc.db, alice);
    await logSome(bob, 1);
    const seenByBob = await listLogEntries(svc.db, bob);
    expect(seenByBob.entries.map((e) => e.actor)).toEqual([bob.email]);
    expect((await listLogEntries(svc.db, bob, { subscription: alice.subscriptions[0]!.id })).entries).toEqual([]);
    expect((await listLogEntries(svc.db, bob, { q: alice.email })).entries).toEqual([]);
    expect((await listLogEntries(svc.db, alice)).entries).toHaveLength(3);
  });

  it('pages by keyset both ways and filters by status and free text', async () => {
    const user = await createTestUser(svc);
    await logSome(user, 5);
    const page1 = await listLogEntries(svc.db, user, {}, 2);
    expect(page1.entries.map((e) => e.operation)).toEqual(['Change 5', 'Change 4']);
    expect(page1.previous).toBeUndefined();
    const page2 = await listLogEntries(svc.db, user, { after: page1.next }, 2);
    expect(page2.entries.map((e) => e.operation)).toEqual(['Change 3', 'Change 2']);
    const page3 = await listLogEntries(svc.db, user, { after: page2.next }, 2);
    expect(page3.entries.map((e) => e.operation)).toEqual(['Change 1']);
    expect(page3.next).toBeUndefined();
    const back = await listLogEntries(svc.db, user, { before: page3.previous }, 2);
    expect(back.entries.map((e) => e.operation)).toEqual(['Change 3', 'Change 2']);
    const first = await listLogEntries(svc.db, user, { before: back.previous }, 2);
    expect(first.entries.map((e) => e.operation)).toEqual(['Change 5', 'Change 4']);
    expect(first.previous).toBeUndefined();

    expect((await listLogEntries(svc.db, user, { q: 'change 3' })).entries).toHaveLength(1);
    expect((await listLogEntries(svc.db, user, { status: 'Failed' })).entries).toEqual([]);
    expect((await listLogEntries(svc.db, user, { q: '%' })).entries).toEqual([]);
    expect(parseLogFilters({ q: 'change\u00003' }).q).toBe('change3');
  });
});
