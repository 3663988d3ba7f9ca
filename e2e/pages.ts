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

/**
 * A picture of the whole page for the README: notifications dismissed, and the window as tall as the content (the
 * portal scrolls inside its main area, which a full-page screenshot does not unroll), then back to its size.
 */
export async function screenshotWhole(page: Page, file: string) {
  const region = notifications(page);
  const all = region.getByRole('button', { name: 'DISMISS ALL' });
  if (await all.isVisible()) await all.click();
  for (const dismiss of await region.getByRole('button', { name: 'Dismiss' }).all()) await dismiss.click();
  const size = page.viewportSize()!;
  const height = await page.locator('main').evaluate((main) => main.scrollHeight + main.getBoundingClientRect().top);
  await page.setViewportSize({ width: size.width, height: Math.max(size.height, Math.ceil(height) + 120) });
  // A notification that arrived meanwhile stays out of the picture.
  await page.screenshot({
    path: `test-results/screenshots/${file}`,
    style: '[aria-label="Notifications"] { display: none; }',
  });
  await page.setViewportSize(size);
}
