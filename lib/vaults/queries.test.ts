import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PortalUser } from '@/lib/auth/users';
import { loadUser } from '@/lib/auth/users';
import { freshDatabase, type TestDatabase } from '@/testing/db';
import { listVaults, vaultNamesBySubscription } from './queries';

let t: TestDatabase;
let user: PortalUser;
let [a, b, other] = ['', '', ''];

beforeAll(async () => {
  t = await freshDatabase();
  const ids = await t.pool.query<{ id: string }>(
    `insert into subscriptions (display_name) values ('A'), ('B'), ('Other') returning id`,
  );
  [a, b, other] = ids.rows.map((r) => r.id) as [string, string, string];
  await t.pool.query(
    `insert into vaults (subscription_id, name, region, status)
     values ($1, 'alpha', 'westus', 'Active'), ($1, 'Beta', 'westus', 'Creating'), ($2, 'gamma', 'eastus', 'Active'),
            ($3, 'secret', 'eastus', 'Active')`,
    [a, b, other],
  );
  user = {
    id: '00000000-0000-4000-8000-000000000001',
    email: 'u@example.com',
    subscriptions: [
      { id: a, displayName: 'A', role: 'Owner' },
      { id: b, displayName: 'B', role: 'Reader' },
    ],
  };
});
afterAll(() => t.close());

describe("the shell's and the lists' queries", () => {
  it("bring each of the user's subscriptions' vault count with the user (the shell's counts)", async () => {
    const { rows } = await t.pool.query<{ id: string }>(
      `insert into users (email, password_hash) values ('counted@example.com', 'x') returning id`,
    );
    const id = rows[0]!.id;
    await t.pool.query(
      `insert into memberships (user_id, subscription_id, role) values ($1, $2, 'Owner'), ($1, $3, 'Reader')`,
      [id, a, b],
    );
    const loaded = await loadUser(id, t.db);
    expect(loaded?.subscriptions.map((s) => [s.displayName, s.vaultCount])).toEqual([
      ['A', 2],
      ['B', 1],
    ]);
  });

  it("give the New dialog each of the user's subscriptions' names, and nothing of another's", async () => {
    const names = await vaultNamesBySubscription(t.db, user);
    expect(Object.keys(names).sort()).toEqual([a, b].sort());
    expect(names[a]!.sort()).toEqual(['Beta', 'alpha']);
    expect(names[b]).toEqual(['gamma']);
  });

  it("narrow the list to one of the user's subscriptions, and to nothing for another's", async () => {
    expect((await listVaults(t.db, user, {})).rows.map((r) => r.name)).toEqual(['alpha', 'Beta', 'gamma']);
    expect((await listVaults(t.db, user, { subscriptionId: b })).rows.map((r) => r.name)).toEqual(['gamma']);
    expect((await listVaults(t.db, user, { subscriptionId: other })).rows).toEqual([]);
  });
});
