import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVault } from '@/lib/vaults/create';
import { createTestUser, type TestServices, testServices } from '@/testing/services';
import { listOpenOperations } from './queries';

let svc: TestServices;
beforeAll(async () => {
  svc = await testServices();
});
afterAll(() => svc.close());

describe('the notification poll', () => {
  it("lists the user's undismissed operations newest first, an empty list without any, null for an unknown user", async () => {
    const user = await createTestUser(svc);
    expect(await listOpenOperations(svc.db, user.id)).toEqual([]);

    const first = await createVault(svc, user, { name: 'PollFirst', region: 'westeurope' });
    const second = await createVault(svc, user, { name: 'PollSecond', region: 'westeurope' });
    if (!first.ok || !second.ok) throw new Error('vaults not created');
    await svc.pool.query(`update operations set started_at = now() - interval '1 minute' where id = $1`, [
      first.data.operationId,
    ]);
    const open = await listOpenOperations(svc.db, user.id);
    expect(open?.map((op) => [op.id, op.vaultName, op.status])).toEqual([
      [second.data.operationId, 'PollSecond', 'InProgress'],
      [first.data.operationId, 'PollFirst', 'InProgress'],
    ]);
    expect(Number.isNaN(Date.parse(open![0]!.startedAt))).toBe(false);

    await svc.pool.query('update operations set dismissed_at = now() where id = $1', [second.data.operationId]);
    expect((await listOpenOperations(svc.db, user.id))?.map((op) => op.id)).toEqual([first.data.operationId]);

    expect(await listOpenOperations(svc.db, crypto.randomUUID())).toBeNull();
  });
});
