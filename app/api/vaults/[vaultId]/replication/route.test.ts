import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { PortalUser } from '@/lib/auth/users';
import { createVault } from '@/lib/vaults/create';
import { serveRoutesFrom } from '@/testing/backups';
import { createTestUser, type TestServices, testServices } from '@/testing/services';
import { GET } from './route';

let signedIn: PortalUser | null = null;
vi.mock('@/lib/auth/guard', () => ({ currentUser: async () => signedIn }));

let svc: TestServices;
let secondaryRoot: string;
beforeAll(async () => {
  secondaryRoot = await mkdtemp(path.join(os.tmpdir(), 'portal-secondary-'));
  svc = await testServices({ BACKUP_STORE_SECONDARY: `file://${secondaryRoot}` });
  serveRoutesFrom(svc);
});
afterAll(async () => {
  await svc?.close();
  await rm(secondaryRoot, { recursive: true, force: true });
});

const ask = async (vaultId: string) => {
  const response = await GET(new Request(`http://portal.test/api/vaults/${vaultId}/replication`), {
    params: Promise.resolve({ vaultId }),
  });
  return { status: response.status, body: await response.json() };
};

describe('GET /api/vaults/{vaultId}/replication', () => {
  it('answers the DASHBOARD figure to those who may read the vault, and no one else', async () => {
    const owner = await createTestUser(svc);
    const created = await createVault(svc, owner, { name: 'replicated-vault', region: 'westus' });
    if (!created.ok) throw new Error(created.message);
    const { vaultId } = created.data;
    await svc.pool.query(`update vaults set status = 'Active' where id = $1`, [vaultId]);

    signedIn = await createTestUser(svc, { role: 'Reader', subscriptions: owner.subscriptions });
    expect(await ask(vaultId)).toEqual({ status: 200, body: { text: 'Up to date', state: 'current' } });
    await svc.pool.query(`update vaults set storage_replication = 'LocallyRedundant' where id = $1`, [vaultId]);
    expect((await ask(vaultId)).body).toEqual({ text: 'Not replicated (Locally Redundant)', state: 'local' });

    signedIn = await createTestUser(svc);
    expect((await ask(vaultId)).status).toBe(404);
    signedIn = null;
    expect(await ask(vaultId)).toMatchObject({ status: 401, body: { error: { code: 'unauthenticated' } } });
  });
});
