import { readFile } from 'node:fs/promises';
import { parseVaultCredentialsFile } from '../lib/credentials/vault-credentials-file';
import { e2eAdmin, expect, signIn, test } from './fixtures';
import { createActiveVault } from './pages';

const ORIGIN = `http://localhost:${process.env.E2E_PORT}`;
const VAULT = 'harden-creds';

test.describe.configure({ mode: 'serial' });

test('every answer carries the security headers and the portal cannot be framed; its scripts run under the policy', async ({
  page,
  request,
}) => {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
  });
  for (const path of ['/signin', '/api/health', '/api/auth/session', '/recovery-services']) {
    const response = await request.get(path, { maxRedirects: 0 });
    const headers = response.headers();
    expect(headers['content-security-policy'], path).toMatch(/frame-ancestors 'none'/);
    expect(headers['content-security-policy'], path).toMatch(
      /script-src 'self' 'nonce-[A-Za-z0-9+/=]+' 'strict-dynamic' 'wasm-unsafe-eval'/,
    );
    expect(headers['x-frame-options'], path).toBe('DENY');
    expect(headers['x-content-type-options'], path).toBe('nosniff');
    expect(headers['referrer-policy'], path).toBe('strict-origin-when-cross-origin');
    // Served over plain http here: no HSTS, which would break the portal for a year on a plain-http address.
    expect(headers['strict-transport-security'], path).toBeUndefined();
  }
  const a = (await request.get('/signin')).headers()['content-security-policy'];
  const b = (await request.get('/signin')).headers()['content-security-policy'];
  expect(a).not.toBe(b);

  for (const icon of ['/favicon.ico', '/icons/icon.svg', '/icons/icon-192.png', '/icons/apple-touch-icon.png']) {
    const response = await request.get(icon);
    expect(response.status(), icon).toBe(200);
    expect(response.headers()['cache-control'], icon).toBe('public, max-age=31536000, immutable');
    expect(response.headers()['x-content-type-options'], icon).toBe('nosniff');
  }

  // Under the policy the portal still works: sign in, open a dialog, navigate.
  await signIn(page);
  await expect(page.locator('link[rel="icon"][href="/favicon.ico"]')).toHaveCount(1);
  await page.getByRole('link', { name: 'RECOVERY SERVICES', exact: true }).click();
  await expect(page).toHaveURL(/\/recovery-services$/);
  expect(violations).toEqual([]);
});

test('the Services links are named by the service alone, with their counts as descriptions', async ({
  portal: page,
}) => {
  const services = page.getByRole('navigation', { name: 'Services' });
  for (const name of ['ALL ITEMS', 'RECOVERY SERVICES']) {
    const link = services.getByRole('link', { name, exact: true });
    await expect(link).toBeVisible();
    await expect(link).toHaveAccessibleDescription(/^\d+ items?$/);
  }
});

test('dialogs are native: focus moves in, Escape closes, focus returns to the opener', async ({ portal: page }) => {
  const newButton = page.getByRole('toolbar', { name: 'Command bar' }).getByRole('button', { name: 'NEW' });
  await newButton.click();
  const dialog = page.getByRole('dialog', { name: 'New' });
  await expect(dialog).toBeVisible();
  expect(await dialog.evaluate((d) => d.tagName === 'DIALOG' && d.contains(document.activeElement))).toBe(true);
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(newButton).toBeFocused();
});

test('after signing in, a callbackUrl that leaves the portal goes home instead', async ({ browser }) => {
  for (const evil of [
    '/\\evil.example/',
    '/\\/evil.example/',
    '/\t/evil.example/',
    '//evil.example/',
    'https://evil.example/',
  ]) {
    const context = await browser.newContext({ baseURL: ORIGIN });
    const page = await context.newPage();
    await page.route(
      (url) => url.hostname.endsWith('evil.example'),
      (route) => route.abort(),
    );
    await page.goto(`/signin?callbackUrl=${encodeURIComponent(evil)}`);
    await page.getByLabel('Email').fill(e2eAdmin.email);
    await page.getByLabel('Password').fill(e2eAdmin.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('navigation', { name: 'Services' })).toBeVisible();
    expect(new URL(page.url()).origin, evil).toBe(ORIGIN);
    await context.close();
  }
  // A path of the portal is still where the browser goes.
  const context = await browser.newContext({ baseURL: ORIGIN });
  const page = await context.newPage();
  await page.goto('/settings/tokens');
  await expect(page).toHaveURL(/\/signin\?callbackUrl=%2Fsettings%2Ftokens$/);
  await page.getByLabel('Email').fill(e2eAdmin.email);
  await page.getByLabel('Password').fill(e2eAdmin.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(`${ORIGIN}/settings/tokens`);
  await context.close();
});

test('vault credentials: a POST from the portal only (cross-site refused, GET 405), linking to the trusted origin', async ({
  portal: page,
}) => {
  await page.goto('/recovery-services');
  await createActiveVault(page, VAULT);
  await page.getByRole('link', { name: VAULT, exact: true }).click();
  const link = page.getByRole('link', { name: 'Download vault credentials' });
  await expect(link).toBeVisible();
  const vaultId = /vaults\/([0-9a-f-]{36})/.exec(page.url())![1];
  const url = `/api/vaults/${vaultId}/credentials`;

  expect((await page.request.get(url)).status()).toBe(405);
  for (const headers of <Record<string, string>[]>[
    { Origin: 'https://evil.example' },
    { Origin: 'null' },
    { 'Sec-Fetch-Site': 'cross-site', Origin: ORIGIN },
    {},
  ]) {
    const refused = await page.request.post(url, { headers });
    expect(refused.status(), JSON.stringify(headers)).toBe(403);
    expect(await refused.json()).toEqual({
      error: { code: 'cross_site', message: 'Download vault credentials from the portal.' },
    });
  }
  // Nothing was issued by the refused requests: the first download's file is still the vault's only valid one.
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  const file = parseVaultCredentialsFile(await readFile((await download.path())!, 'utf8'));
  expect(file.portalUrl).toBe(ORIGIN);

  // Headers a client chooses never become the file's WebPortalLink.
  const forged = await page.request.post(url, {
    headers: { Origin: ORIGIN, 'X-Forwarded-Host': 'evil.example', 'X-Forwarded-Proto': 'https' },
  });
  expect(forged.status()).toBe(200);
  expect(parseVaultCredentialsFile(await forged.text()).portalUrl).toBe(ORIGIN);
});

test('repeated wrong passwords slow down and then stop with a clear message, as for an unknown email', async ({
  page,
}) => {
  test.setTimeout(120_000);
  await page.goto('/signin');
  const alert = page.locator('form').getByRole('alert');
  await page.getByLabel('Email').fill('nobody-here@example.com');
  for (let i = 0; i < 9; i++) {
    await page.getByLabel('Password').fill(`wrong-password-${i}`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // The button is disabled while the answer is awaited, which takes longer and longer.
    await expect(page.getByRole('button', { name: 'Sign in' })).toBeEnabled({ timeout: 10_000 });
    await expect(alert).toHaveText('Invalid email or password.');
  }
  await page.getByLabel('Password').fill('wrong-password-last');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(alert).toHaveText('Too many attempts, try again in 15 minutes.');
});
