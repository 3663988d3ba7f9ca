import { e2eAdmin, expect, signIn, test } from './fixtures';

test('a signed-out visit redirects to the sign-in page', async ({ page }) => {
  await page.goto('/recovery-services');
  await expect(page).toHaveURL(/\/signin/);
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
});

test('a wrong password shows the exact message and does not sign in', async ({ page }) => {
  await page.goto('/signin');
  await page.getByLabel('Email').fill(e2eAdmin.email);
  await page.getByLabel('Password').fill('not-the-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('main').getByRole('alert')).toHaveText('Invalid email or password.');
  await expect(page).toHaveURL(/\/signin/);
});

test('an unknown email shows the same message', async ({ page }) => {
  await page.goto('/signin');
  await page.getByLabel('Email').fill('nobody@example.com');
  await page.getByLabel('Password').fill(e2eAdmin.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('main').getByRole('alert')).toHaveText('Invalid email or password.');
});

test('the admin signs in, sees the shell, and signs out', async ({ page }) => {
  await signIn(page);
  const services = page.getByRole('navigation', { name: 'Services' });
  await expect(services.getByRole('link', { name: /ALL ITEMS/ })).toBeVisible();
  await expect(services.getByRole('link', { name: /RECOVERY SERVICES/ })).toBeVisible();
  const commandBar = page.getByRole('toolbar', { name: 'Command bar' });
  await expect(commandBar.getByRole('button').first()).toHaveText(/NEW/);
  await expect(page.getByRole('region', { name: 'Notifications' })).toBeAttached();
  await expect(page.getByRole('banner')).toContainText(e2eAdmin.email);
  await expect(page.getByRole('banner')).toContainText('Free Trial');

  await services.getByRole('link', { name: /RECOVERY SERVICES/ }).click();
  await expect(page.getByRole('heading', { name: 'recovery services' })).toBeVisible();
  await page.screenshot({ path: 'test-results/screenshots/shell.png' });

  await page.getByRole('button', { name: new RegExp(e2eAdmin.email) }).click();
  await page.getByRole('menuitem', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/signin/);
  await page.goto('/all-items');
  await expect(page).toHaveURL(/\/signin/);
});
