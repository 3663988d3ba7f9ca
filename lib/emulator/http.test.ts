import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVault } from '@/lib/vaults/create';
import { isLoopback } from '@/server/http/emulator';
import { serveRoutesFrom } from '@/testing/backups';
import { createTestUser, type TestServices, testServices } from '@/testing/services';
import { EMULATOR_CONTROL_HEADER, emulatorControl } from './http';
import { processJournal } from './journal';

let svc: TestServices;

beforeAll(async () => {
  svc = await testServices({ PORTAL_EMULATOR: '1', AUTH_SECRET: 'an emulator test secret that is long enough' });
  serveRoutesFrom(svc);
  await call('POST', '/reset');
});
afterAll(async () => {
  await svc.close();
});

/** A control request as the HTTP server hands it to the route (server/http/emulator.ts sets the header). */
async function call(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = { [EMULATOR_CONTROL_HEADER]: '1' },
) {
  const url = new URL(`http://localhost/_emulator${path}`);
  const request = new Request(url, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const response = await emulatorControl(request, url.pathname.slice('/_emulator/'.length).split('/'));
  return { status: response.status, body: await response.json() };
}

async function count(table: string) {
  return Number((await svc.pool.query(`select count(*) from ${table}`)).rows[0].count);
}

async function adminId() {
  return (await svc.pool.query(`select id from users where email = 'admin@localhost'`)).rows[0]?.id as string;
}

describe('the emulator control API', () => {
  it('answers only requests the HTTP server let in (loopback clients in emulator mode)', async () => {
    expect((await call('GET', '/clock', undefined, {})).status).toBe(404);
    expect(isLoopback('127.0.0.1')).toBe(true);
    expect(isLoopback('::1')).toBe(true);
    expect(isLoopback('::ffff:127.0.0.1')).toBe(true);
    expect(isLoopback('10.0.0.5')).toBe(false);
    expect(isLoopback('::ffff:192.168.1.2')).toBe(false);
    expect(isLoopback(undefined)).toBe(false);
  });

  it('reset: back to the admin alone (same id), no vaults, the real clock, no faults; fast with 50 vaults', async () => {
    const admin = await adminId();
    expect(admin).toBeTruthy();
    const times: number[] = [];
    for (let round = 0; round < 5; round++) {
      const user = await createTestUser(svc);
      for (let i = 0; i < 10; i++) {
        const made = await createVault(svc, user, { name: `reset-${round}-${i}`, region: 'westus' });
        expect(made.ok).toBe(true);
      }
    }
    expect(await count('vaults')).toBe(50);
    await call('PUT', '/faults', [{ operation: 'Backup', error: 'no' }]);
    await call('POST', '/clock', { advance: '48h' });
    const started = performance.now();
    const reset = await call('POST', '/reset');
    times.push(performance.now() - started);
    expect(reset).toEqual({ status: 200, body: { reset: 'all' } });
    expect(await count('vaults')).toBe(0);
    expect(await count('operations')).toBe(0);
    expect(await count('operation_logs')).toBe(0);
    expect((await svc.pool.query('select id, email from users')).rows).toEqual([
      { id: admin, email: 'admin@localhost' },
    ]);
    expect((await svc.pool.query(`select display_name from subscriptions`)).rows).toEqual([
      { display_name: 'Free Trial' },
    ]);
    expect((await call('GET', '/faults')).body).toEqual({ rules: [] });
    expect(Math.abs(Date.parse((await call('GET', '/clock')).body.now) - Date.now())).toBeLessThan(5000);
    console.log(`reset with 50 vaults: ${times[0]!.toFixed(1)} ms`);
  });

  it('reset of one subscription leaves the others as they are', async () => {
    const worker = (await call('POST', '/subscriptions', { name: 'Worker A' })).body;
    const other = (await call('POST', '/subscriptions', {})).body;
    expect(worker).toMatchObject({
      subscriptionId: expect.any(String),
      email: expect.stringContaining('@'),
      password: expect.any(String),
    });
    const ownerOf = async (email: string) => {
      const { rows } = await svc.pool.query(
        `select u.id, u.email, m.subscription_id, m.role from users u join memberships m on m.user_id = u.id where u.email = $1`,
        [email],
      );
      return { ...rows[0], subscriptions: [{ id: rows[0].subscription_id, displayName: 'x', role: rows[0].role }] };
    };
    const a = await ownerOf(worker.email);
    const b = await ownerOf(other.email);
    const userA = {
      id: a.id,
      email: a.email,
      subscriptions: [{ id: worker.subscriptionId, displayName: 'Worker A', role: 'Owner' as const }],
    };
    const userB = {
      id: b.id,
      email: b.email,
      subscriptions: [{ id: other.subscriptionId, displayName: 'B', role: 'Owner' as const }],
    };
    expect((await createVault(svc, userA as never, { name: 'a-vault', region: 'westus' })).ok).toBe(true);
    expect((await createVault(svc, userB as never, { name: 'b-vault', region: 'westus' })).ok).toBe(true);
    const reset = await call('POST', '/reset', { subscriptionId: worker.subscriptionId });
    expect(reset.status).toBe(200);
    const vaults = (await svc.pool.query(`select name, subscription_id from vaults order by name`)).rows;
    expect(vaults).toEqual([{ name: 'b-vault', subscription_id: other.subscriptionId }]);
    // Its owner stays, so the worker signs in as before.
    expect(
      (await svc.pool.query(`select count(*)::int as n from users where email = $1`, [worker.email])).rows[0].n,
    ).toBe(1);
    expect((await call('POST', '/reset', { subscriptionId: 'nope' })).status).toBe(400);
    expect((await call('POST', '/reset', { subscriptionId: '00000000-0000-4000-8000-000000000000' })).status).toBe(404);
  });

  it('faults: PUT replaces the rules, GET lists them with how often each fired, DELETE clears; bad rules refused', async () => {
    const put = await call('PUT', '/faults', [
      { operation: 'CreateVault', match: { name: 'doomed' }, error: 'The region is full.', times: 1 },
      { operation: 'Backup', delayMs: 5, probability: 1 },
    ]);
    expect(put.status).toBe(200);
    await expect(svc.faults.check('CreateVault', { name: 'other' })).resolves.toBeUndefined();
    await expect(svc.faults.check('CreateVault', { name: 'DOOMED' })).rejects.toMatchObject({
      message: 'The region is full.',
    });
    await expect(svc.faults.check('CreateVault', { name: 'doomed' })).resolves.toBeUndefined();
    await svc.faults.check('Backup', { name: 'any' });
    expect((await call('GET', '/faults')).body.rules).toEqual([
      { operation: 'CreateVault', match: { name: 'doomed' }, error: 'The region is full.', times: 1, fired: 1 },
      { operation: 'Backup', delayMs: 5, probability: 1, fired: 1 },
    ]);
    const bad = await call('PUT', '/faults', [{ operation: 'Explode' }]);
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('operation must be one of CreateVault');
    expect((await call('GET', '/faults')).body.rules).toHaveLength(2);
    expect((await call('DELETE', '/faults')).body).toEqual({ rules: [] });
  });

  it('clock: advance, set and back to real time, as SQL sees it too; bad input refused', async () => {
    const before = Date.parse((await call('GET', '/clock')).body.now);
    const advanced = await call('POST', '/clock', { advance: '48h' });
    expect(Date.parse(advanced.body.now) - before).toBeGreaterThan(48 * 3600_000 - 5000);
    const sqlNow = (await svc.pool.query(`select portal_now() as now`)).rows[0].now as Date;
    expect(Math.abs(sqlNow.getTime() - Date.parse(advanced.body.now))).toBeLessThan(5000);
    const set = await call('POST', '/clock', { set: '2031-02-03T04:05:06Z' });
    expect(Math.abs(Date.parse(set.body.now) - Date.parse('2031-02-03T04:05:06Z'))).toBeLessThan(5000);
    expect((await call('POST', '/clock', { advance: 'tomorrow' })).status).toBe(400);
    expect((await call('POST', '/clock', { set: 'soon' })).status).toBe(400);
    const real = await call('DELETE', '/clock');
    expect(Math.abs(Date.parse(real.body.now) - Date.now())).toBeLessThan(5000);
  });

  it('requests: the journal since a time, newest last; unknown controls are 404', async () => {
    const journal = processJournal();
    journal.add({ method: 'GET', path: '/recovery-services', status: 200, at: '2030-01-01T00:00:00.000Z' });
    journal.add({
      method: 'POST',
      path: '/api/agent/register',
      status: 400,
      at: '2030-01-01T00:00:05.000Z',
      cookie: 'x=1',
    });
    const since = await call('GET', '/requests?since=2030-01-01T00:00:01Z');
    expect(since.body.requests).toEqual([
      { method: 'POST', path: '/api/agent/register', status: 400, at: '2030-01-01T00:00:05.000Z', user: null },
    ]);
    expect((await call('GET', '/requests?since=later')).status).toBe(400);
    expect((await call('GET', '/nothing')).status).toBe(404);
  });
});
