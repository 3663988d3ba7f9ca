import type { Browser, Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { createActiveVault, vaultRow } from './pages';

const PASSWORD = 'a-new-person-password';

/** Settings > Users as the Owner: invite, and read the link from the one place it is shown. */
async function invite(page: Page, email: string, role: 'Reader' | 'Contributor'): Promise<string> {
  await page.goto('/settings/users');
  const form = page.getByRole('region', { name: 'Invite a person' });
  await form.getByLabel('Email').fill(email);
  await form.getByLabel('Role').selectOption(role);
  await form.getByRole('button', { name: 'Invite' }).click();
  const link = page.getByRole('textbox', { name: 'Invitation link' });
  await expect(link).toHaveValue(/^http:\/\/localhost:\d+\/invitations\/[A-Za-z0-9_-]{43}$/);
  const value = await link.inputValue();
  await expect(
    page
      .getByRole('table', { name: 'Pending invitations of Free Trial' })
      .getByRole('row', { name: new RegExp(email) }),
  ).toContainText(role);
  return value;
}

/** The invited person, in a browser of their own that never signed in: sets a password and lands in the portal. */
async function accept(browser: Browser, link: string, email: string): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(link);
  await expect(page.getByRole('heading', { name: 'accept invitation' })).toBeVisible();
  await expect(page.getByLabel('Email')).toHaveValue(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Confirm password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Accept invitation' }).click();
  await expect(page.getByRole('navigation', { name: 'Services' })).toBeVisible();
  return page;
}

test('the admin invites a Reader and a Contributor; each accepts in a fresh browser and works with their role', async ({
  portal: admin,
  browser,
}) => {
  test.setTimeout(120_000);
  const run = Date.now().toString(36);
  const adminVault = `people-${run}`;
  const readerEmail = `reader-${run}@example.com`;
  const contributorEmail = `contributor-${run}@example.com`;

  await admin.goto('/recovery-services');
  await createActiveVault(admin, adminVault);
  const readerLink = await invite(admin, readerEmail, 'Reader');
  const contributorLink = await invite(admin, contributorEmail, 'Contributor');

  const reader = await accept(browser, readerLink, readerEmail);
  await reader.goto('/recovery-services');
  await expect(vaultRow(reader, adminVault)).toContainText('Active');
  // A Reader finds the changing buttons disabled (e2e/roles.spec.ts checks every one, and that the server refuses).
  await vaultRow(reader, adminVault).getByRole('link', { name: adminVault, exact: true }).click();
  await reader.getByRole('navigation', { name: 'Vault' }).getByRole('link', { name: 'DASHBOARD' }).click();
  await expect(
    reader.getByRole('toolbar', { name: 'Command bar' }).getByRole('button', { name: 'DELETE' }),
  ).toBeDisabled();
  // Not an Owner: the members, without the controls.
  await reader.goto('/settings/users');
  await expect(reader.getByRole('table', { name: 'Members of Free Trial' })).toContainText(readerEmail);
  await expect(reader.getByRole('region', { name: 'Invite a person' })).toHaveCount(0);
  await expect(reader.getByRole('button', { name: 'REMOVE' })).toHaveCount(0);

  // The link worked once.
  await reader.goto(readerLink);
  await expect(
    reader.getByText('This invitation has already been used. Sign in instead, or ask an Owner for a new invitation.'),
  ).toBeVisible();

  const contributor = await accept(browser, contributorLink, contributorEmail);
  await contributor.goto('/recovery-services');
  const contributorVault = `contrib-${run}`;
  await createActiveVault(contributor, contributorVault);
  await expect(vaultRow(contributor, contributorVault)).toContainText('Active');

  // Both appear in the operation logs, by name.
  await admin.goto('/operation-logs');
  const log = admin.getByRole('row');
  await expect(log.filter({ hasText: 'Accept invitation' }).filter({ hasText: readerEmail }).first()).toBeVisible();
  await expect(
    log
      .filter({ hasText: 'Create backup vault' })
      .filter({ hasText: contributorVault })
      .filter({ hasText: contributorEmail })
      .first(),
  ).toBeVisible();

  // The admin sees both as members, and the last Owner cannot demote themselves.
  await admin.goto('/settings/users');
  const members = admin.getByRole('table', { name: 'Members of Free Trial' });
  await expect(members.getByRole('row', { name: new RegExp(readerEmail) })).toContainText('Reader');
  await expect(members.getByRole('row', { name: new RegExp(contributorEmail) })).toContainText('Contributor');
  await admin.getByRole('radio', { name: 'Select admin@example.com in Free Trial' }).check();
  await admin.getByRole('button', { name: 'CHANGE ROLE' }).click();
  const dialog = admin.getByRole('dialog', { name: 'Change role' });
  await dialog.getByLabel('Role').selectOption('Reader');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await expect(admin.getByRole('alert').filter({ hasText: 'A subscription needs at least one Owner' })).toBeVisible();
  await expect(members.getByRole('row', { name: /admin@example\.com/ })).toContainText('Owner');
  await admin.screenshot({ path: 'test-results/screenshots/users.png' });

  await reader.context().close();
  await contributor.context().close();
});

test('a revoked or unknown invitation link says so, signed out, and lets nobody in', async ({
  portal: admin,
  browser,
}) => {
  const email = `revoked-${Date.now().toString(36)}@example.com`;
  const link = await invite(admin, email, 'Reader');
  await admin.getByRole('radio', { name: `Select the invitation of ${email} to Free Trial` }).check();
  await admin.getByRole('button', { name: 'REVOKE' }).click();
  await expect(admin.getByText(`The invitation of ${email} was revoked.`)).toBeVisible();
  await expect(admin.getByRole('row', { name: new RegExp(email) })).toHaveCount(0);

  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(link);
  await expect(
    page.getByText('This invitation was revoked. Ask an Owner of the subscription for a new one.'),
  ).toBeVisible();
  await expect(page.getByRole('button', { name: 'Accept invitation' })).toHaveCount(0);
  await page.goto(`${new URL(link).origin}/invitations/not-a-token`);
  await expect(page).toHaveURL(/\/invitations\/not-a-token$/);
  await expect(page.getByText('This invitation link is not valid.', { exact: false })).toBeVisible();
  await context.close();
});
