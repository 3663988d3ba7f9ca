import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '@/lib/auth/password';
import { parseEnv } from '@/lib/services/settings';
import { freshDatabase, type TestDatabase } from '@/testing/db';
import { ensureFirstAdmin } from './seed';

let t: TestDatabase;
beforeAll(async () => {
  t = await freshDatabase();
});
afterAll(() => t.close());

describe('first admin', () => {
  it('creates admin@localhost with a printed random password saved 0600, Owner of Free Trial, once', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'seed-'));
    const env = parseEnv({ PORTAL_DATA_DIR: dataDir });
    const [first, second] = await Promise.all([ensureFirstAdmin(t.db, env), ensureFirstAdmin(t.db, env)]);
    const created = first ?? second;
    expect([first, second].filter(Boolean)).toHaveLength(1);
    expect(created?.email).toBe('admin@localhost');
    const file = path.join(dataDir, 'admin-credentials.txt');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toContain(created!.generatedPassword!);

    const { rows } = await t.pool.query(
      `select u.email, u.password_hash, s.display_name, m.role from users u
       join memberships m on m.user_id = u.id join subscriptions s on s.id = m.subscription_id`,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ email: 'admin@localhost', display_name: 'Free Trial', role: 'Owner' });
    expect(await verifyPassword(created!.generatedPassword!, rows[0].password_hash)).toBe(true);

    expect(await ensureFirstAdmin(t.db, env)).toBeUndefined();
  });
});
