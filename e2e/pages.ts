import { expect, type Page } from '@playwright/test';

/** NEW > DATA SERVICES > RECOVERY SERVICES > BACKUP VAULT > QUICK CREATE, as a user clicks through it. */
export async function openQuickCreate(page: Page) {
  await page.getByRole('toolbar', { name: 'Command bar' }).getByRole('button', { name: 'NEW' }).click();
  const dialog = page.getByRole('dialog', { name: 'New' });
  await expect(dialog).toBeVisible();
  for (const choice of ['DATA SERVICES', 'RECOVERY SERVICES', 'BACKUP VAULT', 'QUICK CREATE']) {
    await dialog.getByRole('button', { name: choice }).click();
  }
  return dialog;
}

export async function quickCreate(page: Page, name: string, region = 'West US') {
  const dialog = await openQuickCreate(page);
  await dialog.getByLabel('Name').fill(name);
  await dialog.getByLabel('Region').selectOption({ label: region });
  await dialog.getByRole('button', { name: 'CREATE VAULT' }).click();
  return dialog;
}

export function notifications(page: Page) {
  return page.getByRole('region', { name: 'Notifications' });
}

export function vaultRow(page: Page, name: string) {
  return page.getByRole('row').filter({ has: page.getByRole('link', { name, exact: true }) });
}

/** Creates a vault and waits until it is Active, dismissing its notification. */
export async function createActiveVault(page: Page, name: string, region = 'West US') {
  await quickCreate(page, name, region);
  const success = notifications(page)
    .getByRole('listitem')
    .filter({ hasText: `The backup vault '${name}' has been successfully created.` });
  await expect(success).toBeVisible({ timeout: 30_000 });
  await success.getByRole('button', { name: 'Dismiss' }).click();
  await expect(success).toHaveCount(0);
}
