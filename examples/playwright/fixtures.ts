/**
 * The emulator's fixtures: each worker gets a subscription and its Owner (POST /_emulator/subscriptions) and signs in
 * once; each test starts from that subscription reset (POST /_emulator/reset {subscriptionId}) and gets helpers to seed
 * it, set fault rules and move the clock. Fault rules and the clock belong to the whole portal: name your own vaults
 * and servers in a rule's `match`, and keep clock moves to tests that expect other workers' time to move too.
 */
import path from 'node:path';
import { test as base, expect } from '@playwright/test';
import { baseURL } from './playwright.config';

export { expect };

type Account = { subscriptionId: string; email: string; password: string; storageState: string };

export type SeedVault = {
  name: string;
  region?: string;
  storageReplication?: 'GeoRedundant' | 'LocallyRedundant';
  servers?: {
    name: string;
    passphrase?: string;
    items?: {
      path: string;
      points?: { takenAt: string; files: Record<string, string> }[];
      jobs?: { operation: 'Backup' | 'Restore'; status: string; startedAt: string; endedAt?: string; error?: string }[];
    }[];
  }[];
};

export type Seeded = {
  vaults: {
    id: string;
    name: string;
    servers: { id: string; name: string; items: { id: string; path: string; points: { id: string }[] }[] }[];
  }[];
};

export type FaultRule = {
  operation: 'CreateVault' | 'DeleteVault' | 'DownloadCredentials' | 'RegisterServer' | 'Backup' | 'Restore' | 'Arm';
  match?: { name?: string };
  error?: string;
  delayMs?: number;
  probability?: number;
  times?: number;
};

/** The control API: JSON in and out, no session (it answers loopback clients only). */
export async function control<T>(method: string, route: string, body?: unknown): Promise<T> {
  const response = await fetch(`${baseURL}/_emulator${route}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = await response.json();
  if (!response.ok) throw new Error(`${method} /_emulator${route}: ${response.status} ${JSON.stringify(answer)}`);
  return answer as T;
}

export class Emulator {
  constructor(readonly account: Account) {}
  /** Vaults (Active), servers, items, recovery points with real encrypted data, jobs: in this worker's subscription. */
  seed(vaults: SeedVault[], users: { email: string; password: string; role: string }[] = []): Promise<Seeded> {
    const subscriptionId = this.account.subscriptionId;
    return control('POST', '/seed', {
      vaults: vaults.map((v) => ({ ...v, subscriptionId })),
      users: users.map((u) => ({ ...u, subscriptionId })),
    });
  }
  faults(rules: FaultRule[]) {
    return control<{ rules: (FaultRule & { fired: number })[] }>('PUT', '/faults', rules);
  }
  listFaults() {
    return control<{ rules: (FaultRule & { fired: number })[] }>('GET', '/faults');
  }
  advanceClock(by: string) {
    return control<{ now: string }>('POST', '/clock', { advance: by });
  }
  realClock() {
    return control<{ now: string }>('DELETE', '/clock');
  }
  requests(since: string) {
    return control<{ requests: { method: string; path: string; status: number; at: string; user: string | null }[] }>(
      'GET',
      `/requests?since=${encodeURIComponent(since)}`,
    );
  }
}

export async function signIn(page: import('@playwright/test').Page, email: string, password: string) {
  await page.goto('/signin');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('navigation', { name: 'Services' })).toBeVisible();
}

export const test = base.extend<{ emulator: Emulator }, { account: Account }>({
  account: [
    async ({ browser }, use, workerInfo) => {
      const created = await control<Omit<Account, 'storageState'>>('POST', '/subscriptions', {
        name: `Worker ${workerInfo.workerIndex}`,
      });
      const storageState = path.join(workerInfo.project.outputDir, `.auth-${workerInfo.workerIndex}.json`);
      const page = await browser.newPage({ baseURL });
      await signIn(page, created.email, created.password);
      await page.context().storageState({ path: storageState });
      await page.close();
      await use({ ...created, storageState });
    },
    { scope: 'worker' },
  ],
  storageState: ({ account }, use) => use(account.storageState),
  emulator: async ({ account }, use) => {
    await control('POST', '/reset', { subscriptionId: account.subscriptionId });
    await use(new Emulator(account));
  },
});
