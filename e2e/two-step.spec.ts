import type { Page } from '@playwright/test';
import { Secret, TOTP } from 'otpauth';
import { e2eAdmin, expect, signIn, test } from './fixtures';

/** What an authenticator app shows for the secret, `offsetSeconds` from now. */
function appCode(secret: string, offsetSeconds = 0): string {
  return new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({
    timestamp: Date.now() + offsetSeconds * 1000,
  });
}

/** A 6-digit code that is none of the ones the server would accept now. */
function wrongCode(secret: string): string {
  const right = new Set([-30, 0, 30, 60].map((s) => appCode(secret, s)));
  for (let n = 271828; ; n = (n + 314159) % 1_000_000) {
    const code = String(n).padStart(6, '0');
    if (!right.has(code)) return code;
  }
}

/** The password step of signing in as the admin, which then asks for the code. */
async function passwordStep(page: Page) {
  await page.goto('/signin');
  await page.getByLabel('Email').fill(e2eAdmin.email);
  await page.getByLabel('Password').fill(e2eAdmin.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByLabel('Code')).toBeVisible();
  await expect(page.getByLabel('Code')).toBeFocused();
  // What was typed stays.
  await expect(page.getByLabel('Email')).toHaveValue(e2eAdmin.email);
}

/** Submits a code on the sign-in page and returns what the page then says. */
async function submitCode(page: Page, code: string): Promise<string> {
  await page.getByLabel('Code').fill(code);
  await Promise.all([
    page.waitForResponse((r) => r.url().includes('/api/auth/callback/credentials')),
    page.getByRole('button', { name: 'Sign in' }).click(),
  ]);
  const alert = page.getByRole('main').getByRole('alert');
  await expect(alert).not.toBeEmpty();
  return (await alert.textContent()) ?? '';
}

/**
 * Turns two-step sign-in off again from a session that was signed in before it was turned on: every other spec
 * signs in as the admin with the password alone. A recovery code if one was read; otherwise an app code of a step no
 * sign-in can have used yet.
 */
async function turnOffAgain(page: Page, secret: string | undefined, recoveryCode: string | undefined) {
  await page.goto('/settings/security');
  await expect(page.getByRole('heading', { name: 'Two-step sign-in' })).toBeVisible();
  if ((await page.getByRole('button', { name: 'TURN OFF' }).count()) === 0) return;
  if (!recoveryCode && !secret)
    throw new Error('Two-step sign-in is on and neither a recovery code nor the secret is known.');
  let code = recoveryCode;
  if (!code && secret) {
    await page.waitForTimeout(30_000 - (Date.now() % 30_000) + 1000);
    code = appCode(secret, 30);
  }
  await page.getByLabel('Code').fill(code!);
  await page.getByRole('button', { name: 'TURN OFF' }).click();
  await expect(page.getByText('Two-step sign-in is off.').first()).toBeVisible();
}

test('the admin turns on two-step sign-in, signs in with a code, and 20 wrong codes slow the next tries', async ({
  browser,
}) => {
  test.setTimeout(180_000);
  // Signed in before two-step sign-in is on, kept for turning it off again whatever happens.
  const keeper = await browser.newContext();
  const keeperPage = await keeper.newPage();
  await signIn(keeperPage);
  let secret: string | undefined;
  let recoveryCode: string | undefined;
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page);
    await page.goto('/settings/security');
    await expect(
      page.getByRole('navigation', { name: 'Settings' }).getByRole('link', { name: 'SECURITY' }),
    ).toHaveAttribute('aria-current', 'page');
    await expect(page.getByText('Two-step sign-in is off.')).toBeVisible();
    await page.getByRole('button', { name: 'SET UP' }).click();
    await expect(page.getByRole('img', { name: 'QR code for your authenticator app' })).toBeVisible();
    secret = await page.getByRole('textbox', { name: 'Secret key' }).inputValue();
    await page.screenshot({ path: 'test-results/screenshots/two-step-setup.png' });
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);

    await page.getByLabel('Code').fill(wrongCode(secret));
    await page.getByRole('button', { name: 'TURN ON' }).click();
    await expect(page.getByRole('alert').filter({ hasText: 'The code is incorrect.' })).toBeVisible();
    await expect(page.getByRole('textbox', { name: 'Secret key' })).toHaveValue(secret);

    await page.getByLabel('Code').fill(appCode(secret));
    await page.getByRole('button', { name: 'TURN ON' }).click();
    const codes = page.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem');
    await expect(codes).toHaveCount(10);
    await page.screenshot({ path: 'test-results/screenshots/two-step-recovery-codes.png' });
    recoveryCode = (await codes.first().textContent()) ?? undefined;
    expect(recoveryCode).toMatch(/^[a-z2-7]{5}-[a-z2-7]{5}$/);
    await expect(page.getByText(/Two-step sign-in is on since/)).toContainText('10 of 10 recovery codes left');
    // Shown once.
    await page.reload();
    await expect(page.getByText(/Two-step sign-in is on since/)).toBeVisible();
    await expect(page.getByRole('list', { name: 'Recovery codes' })).toHaveCount(0);

    await page.getByRole('button', { name: new RegExp(e2eAdmin.email) }).click();
    await page.getByRole('menuitem', { name: 'Sign out' }).click();
    await expect(page).toHaveURL(/\/signin/);

    // The password alone no longer signs in: it asks for the code, then the app's code does.
    await passwordStep(page);
    await page.screenshot({ path: 'test-results/screenshots/two-step-signin.png' });
    await expect(page.getByRole('navigation', { name: 'Services' })).toHaveCount(0);
    await page.getByLabel('Code').fill(appCode(secret, 30));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('navigation', { name: 'Services' })).toBeVisible();
    await context.close();

    // Someone with the password guessing codes: slowed, then stopped, the right code too.
    const guesser = await browser.newContext();
    const guess = await guesser.newPage();
    await passwordStep(guess);
    const answers: string[] = [];
    for (let i = 0; i < 20; i++) answers.push(await submitCode(guess, wrongCode(secret)));
    expect(answers.slice(0, 9)).toEqual(Array(9).fill('The code is incorrect.'));
    expect(answers.slice(9)).toEqual(Array(11).fill('Too many attempts, try again in 15 minutes.'));
    expect(await submitCode(guess, appCode(secret, 30))).toBe('Too many attempts, try again in 15 minutes.');
    await expect(guess.getByRole('navigation', { name: 'Services' })).toHaveCount(0);
    await guesser.close();
  } finally {
    await turnOffAgain(keeperPage, secret, recoveryCode);
    await keeper.close();
  }
  // Off again: the password alone signs the admin in, as the other specs do.
  const after = await browser.newContext();
  await signIn(await after.newPage());
  await after.close();
});
