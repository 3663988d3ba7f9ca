import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { hashPassword } from '@/lib/auth/password';
import type { PortalUser, Role } from '@/lib/auth/users';
import { buildServices, type Services } from '@/lib/services';
import { parseEnv } from '@/lib/services/settings';
import { freshDatabase, type TestDatabase } from './db';

export type TestServices = Services & { database: TestDatabase; close(): Promise<void> };

/**
 * Services on a fresh database and a fresh data directory (so the blob store too), as the server builds them;
 * `settings` are environment variables.
 */
export async function testServices(settings: Record<string, string> = {}): Promise<TestServices> {
  const database = await freshDatabase();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'portal-test-data-'));
  const env = parseEnv({
    VAULT_PROVISIONING_SECONDS: '0',
    PORTAL_DATA_DIR: dataDir,
    ...settings,
    DATABASE_URL: database.url,
  });
  const services = await buildServices(env, { database });
  return {
    ...services,
    database,
    async close() {
      await services.boss.stop({ graceful: false, wait: true });
      await database.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

let counter = 0;

/** A user with one new subscription (or joined to the given ones), as loadUser would return them. */
export async function createTestUser(
  svc: Services,
  options: { role?: Role; subscriptions?: { id: string; displayName: string }[] } = {},
): Promise<PortalUser> {
  const role = options.role ?? 'Owner';
  counter += 1;
  const email = `user${counter}-${Date.now()}@example.com`;
  const { rows } = await svc.pool.query<{ id: string }>(
    'insert into users (email, password_hash) values ($1, $2) returning id',
    [email, await hashPassword('test-password-123')],
  );
  const userId = rows[0]!.id;
  let subscriptions = options.subscriptions;
  if (!subscriptions) {
    const created = await svc.pool.query<{ id: string; display_name: string }>(
      `insert into subscriptions (display_name) values ($1) returning id, display_name`,
      [`Subscription ${counter}`],
    );
    subscriptions = created.rows.map((r) => ({ id: r.id, displayName: r.display_name }));
  }
  for (const s of subscriptions) {
    await svc.pool.query('insert into memberships (user_id, subscription_id, role) values ($1, $2, $3)', [
      userId,
      s.id,
      role,
    ]);
  }
  return { id: userId, email, subscriptions: subscriptions.map((s) => ({ ...s, role })) };
}
