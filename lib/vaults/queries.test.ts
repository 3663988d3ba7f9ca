import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDatabase } from '@/db/testing';
import type { PortalUser } from '@/lib/auth/users';
import { countVaults, listVaults, vaultNamesBySubscription } from './queries';

let t: TestDatabase;
let user: PortalUser;
let stranger: PortalUser;
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
  stranger = { id: '00000000-0000-4000-8000-000000000002', email: 's@example.com', subscriptions: [] };
});
afterAll(() => t.close());

describe("the shell's and the lists' queries", () => {
  it("count only the user's subscriptions' vaults", async () => {
    expect(await countVaults(t.db, user)).toBe(3);
    expect(await countVaults(t.db, stranger)).toBe(0);
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
