import { NextRequest } from 'next/server';
import { handleArmRequest } from '@/lib/arm/router';
import type { PortalUser } from '@/lib/auth/users';
import { createToken } from '@/lib/tokens/tokens';
import { createTestUser, type TestServices } from './services';

export const ORIGIN = 'http://portal.test';

export type Caller = { user: PortalUser; token: string; sub: string };

export const vaultUrl = (sub: string, rg: string, name: string, rest = '') =>
  `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.RecoveryServices/vaults/${name}${rest}?api-version=2024-04-01`;

/** Calls the ARM API in process, as its route handler does, on the test's database. */
export function armTestClient(svc: TestServices) {
  async function caller(role: 'Owner' | 'Reader' = 'Owner'): Promise<Caller> {
    const user = await createTestUser(svc, { role });
    return { user, token: (await createToken(svc.db, user)).token, sub: user.subscriptions[0]!.id };
  }

  /** A request as the route handler passes it on: the path's segments decoded, the URL as the client sent it. */
  async function call(method: string, url: string, options: { token?: string | null; body?: unknown } = {}) {
    const absolute = new URL(url, ORIGIN);
    const headers = new Headers({ 'content-type': 'application/json' });
    if (options.token) headers.set('authorization', `Bearer ${options.token}`);
    const request = new NextRequest(absolute, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const segments = absolute.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const response = await handleArmRequest(request, segments, svc);
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  }

  async function pollUntilDone(url: string, token: string) {
    for (let i = 0; i < 100; i++) {
      const poll = await call('GET', url, { token });
      if (poll.status !== 200) throw new Error(`polling answered ${poll.status}`);
      if (poll.body.status !== 'InProgress') return poll.body;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('the operation did not finish');
  }

  return { caller, call, pollUntilDone };
}
