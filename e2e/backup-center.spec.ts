import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Locator, Page } from '@playwright/test';
import { type DownloadedAgent, downloadAndRegister } from './agent-files';
import { expect, test } from './fixtures';
import { createActiveVault, screenshotWhole } from './pages';

// Vault names sort first, so their items lead the Policy adherence grid's first page whatever other specs made.
const VAULT_A = 'aaa-center-east';
const VAULT_B = 'aaa-center-west';

function vaultTab(page: Page, tab: string) {
  return page.getByRole('navigation', { name: 'Vault' }).getByRole('link', { name: tab }).click();
}

/** The number a tile's figure shows (its link is named "N Label"). */
async function figure(tile: Locator, label: string): Promise<number> {
  const name = await tile.getByRole('link', { name: new RegExp(` ${label}$`) }).innerText();
  return Number(name.split(/\s+/)[0]);
}

async function registeredVault(page: Page, vault: string, machineName: string): Promise<DownloadedAgent> {
  await page.goto('/recovery-services');
  await createActiveVault(page, vault);
  await page.getByRole('link', { name: vault, exact: true }).click();
  return downloadAndRegister(page, machineName);
}

test('the Backup center shows the fleet: tiles, items needing attention, adherence, charts, jobs.csv, live', async ({
  portal: page,
}) => {
  test.setTimeout(180_000);
  // Two vaults with real backups by the real agent: one item backed up, one whose folder went away (its backup fails).
  const east = await registeredVault(page, VAULT_A, 'CENTER-EAST');
  const good = path.join(east.workDir, 'Documents');
  const gone = path.join(east.workDir, 'Scans');
  for (const folder of [good, gone]) {
    await mkdir(folder, { recursive: true });
    await writeFile(path.join(folder, 'a.txt'), `the contents of ${folder}\n`.repeat(2000));
    expect((await east.run('protect', '--path', folder)).code).toBe(0);
  }
  expect((await east.run('backup')).code).toBe(0);
  await rm(gone, { recursive: true });
  const failed = await east.run('backup');
  expect(failed.code).not.toBe(0);
  expect(failed.stderr).toContain('does not exist');

  const west = await registeredVault(page, VAULT_B, 'CENTER-WEST');
  const site = path.join(west.workDir, 'Website');
  await mkdir(site, { recursive: true });
  for (let i = 0; i < 20; i++) await writeFile(path.join(site, `page-${i}.html`), `<p>page ${i}</p>\n`.repeat(300));
  expect((await west.run('protect', '--path', site)).code).toBe(0);
  expect((await west.run('backup')).code).toBe(0);

  // BACKUP CENTER, right after RECOVERY SERVICES in the Services navigation.
  const services = page.getByRole('navigation', { name: 'Services' }).getByRole('link');
  const names = await services.allInnerTexts();
  const at = names.findIndex((n) => n.startsWith('RECOVERY SERVICES'));
  expect(names[at + 1]).toContain('BACKUP CENTER');
  await services.filter({ hasText: 'BACKUP CENTER' }).click();
  await expect(page.getByRole('heading', { name: 'backup center', level: 1 })).toBeVisible();

  const jobs = page.getByRole('region', { name: 'Jobs in the last 24 hours' });
  const items = page.getByRole('region', { name: 'Protected items' });
  const storage = page.getByRole('region', { name: 'Storage' });
  const alerts = page.getByRole('region', { name: 'Alerts in the last 24 hours' });
  expect(await figure(jobs, 'Completed')).toBeGreaterThanOrEqual(3);
  expect(await figure(jobs, 'Failed')).toBeGreaterThanOrEqual(1);
  expect(await figure(items, 'Failed')).toBeGreaterThanOrEqual(1);
  expect(await figure(items, 'Healthy')).toBeGreaterThanOrEqual(2);
  expect(await figure(alerts, 'Critical')).toBeGreaterThanOrEqual(1);
  await expect(storage.getByRole('link', { name: / Stored$/ })).not.toHaveText(/^0 B/);
  await expect(storage.getByRole('link', { name: / Saving$/ })).toHaveText(/\d×/);

  // Items needing attention: the failed item, with its job's error.
  const attention = page.getByRole('table', { name: 'Items needing attention' });
  const failedRow = attention.getByRole('row').filter({ hasText: gone });
  await expect(failedRow.getByRole('cell')).toHaveText([
    VAULT_A,
    gone,
    'CENTER-EAST',
    'Failed',
    /GMT/,
    /does not exist/,
  ]);

  // Policy adherence: today's cell of each item, named by its outcome; 30 days by default, 7 on request.
  const grid = page.getByRole('grid', { name: 'Policy adherence' });
  const row = (folder: string) => grid.getByRole('row').filter({ hasText: folder });
  await expect(row(good).getByRole('gridcell')).toHaveCount(31);
  await expect(row(good).getByRole('gridcell').nth(29)).toHaveAccessibleName('Success');
  await expect(row(gone).getByRole('gridcell').nth(29)).toHaveAccessibleName('Success');
  await expect(row(site).getByRole('gridcell').nth(28)).toHaveAccessibleName('No backup');
  await expect(row(site).getByRole('gridcell').nth(30)).toHaveText('3 %');
  // One cell is in the tab order; the arrow keys, Home and End move between cells.
  const first = grid.getByRole('gridcell').first();
  await expect(first).toHaveAttribute('tabindex', '0');
  await first.focus();
  await page.keyboard.press('ArrowDown');
  await expect(page.locator(':focus')).toHaveAccessibleName(/^(Success|Failed|No backup)$/);
  await page.keyboard.press('End');
  await expect(page.locator(':focus')).toHaveText(/^\d+ %$/);
  await page.keyboard.press('Home');
  await page.keyboard.press('ArrowUp');
  await expect(first).toBeFocused();

  // The charts: a figure each, drawn (a canvas) and with the same figures in a table.
  for (const name of ['Jobs per day', 'Storage over time', 'Backup duration']) {
    const chart = page.getByRole('figure', { name });
    await expect(chart.locator('canvas').first()).toBeVisible();
    await expect(chart.getByRole('table', { name })).toBeAttached();
  }
  const today = new Date().toISOString().slice(0, 10);
  const jobsToday = page
    .getByRole('figure', { name: 'Jobs per day' })
    .getByRole('row', { name: new RegExp(`^${today}`) });
  const [completedToday, failedToday] = (await jobsToday.getByRole('cell').allInnerTexts()).map(Number);
  expect(completedToday).toBeGreaterThanOrEqual(3);
  expect(failedToday).toBeGreaterThanOrEqual(1);
  await screenshotWhole(page, 'backup-center.png');

  // Export jobs (CSV): jobs.csv of the window, with VAULT first.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Export jobs (CSV)' }).click(),
  ]);
  expect(download.suggestedFilename()).toBe('jobs.csv');
  const csv = await readFile((await download.path())!, 'utf8');
  const lines = csv.split('\r\n');
  expect(lines[0]).toBe('VAULT,OPERATION,STATUS,ITEM,SERVER,STARTED,ENDED,DATA TRANSFERRED (BYTES),DETAILS');
  expect(lines.some((l) => l.startsWith(`${VAULT_A},Backup,Failed,${gone},CENTER-EAST,`))).toBe(true);
  expect(lines.filter((l) => l.startsWith(`${VAULT_B},Backup,Completed,${site},`))).toHaveLength(1);

  // Live: another backup appears without a reload (the page refreshes every 10 s while visible).
  const before = await figure(jobs, 'Completed');
  await writeFile(path.join(site, 'new.html'), '<p>new</p>\n');
  expect((await west.run('backup')).code).toBe(0);
  await expect(jobs.getByRole('link', { name: / Completed$/ })).toHaveText(new RegExp(`^${before + 1}\\s`), {
    timeout: 20_000,
  });

  // A figure leads to its list: the failed jobs of the last 24 hours, then the failed items.
  await jobs.getByRole('link', { name: / Failed$/ }).click();
  await expect(page.getByRole('heading', { name: 'backup center jobs' })).toBeVisible();
  const failedJob = page.getByRole('table', { name: 'Jobs' }).getByRole('row').filter({ hasText: gone });
  await expect(failedJob.getByRole('cell').nth(2)).toHaveText('Failed');
  await failedJob.getByRole('link', { name: VAULT_A }).click();
  await expect(page.getByText(/does not exist/).first()).toBeVisible();
  await page.goto('/backup-center');
  await items.getByRole('link', { name: / Failed$/ }).click();
  await expect(
    page.getByRole('table', { name: 'Protected items' }).getByRole('row').filter({ hasText: gone }),
  ).toHaveCount(1);

  // The Window: 7 days.
  await page.goto('/backup-center');
  await page.getByRole('combobox', { name: 'Window' }).selectOption('7');
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(page).toHaveURL(/window=7/);
  await expect(row(good).getByRole('gridcell')).toHaveCount(8);

  // The vault's DASHBOARD has the same charts for one vault, with what it stores.
  await page.goto('/recovery-services');
  await page.getByRole('link', { name: VAULT_A, exact: true }).click();
  await vaultTab(page, 'DASHBOARD');
  await expect(page.getByText('STORAGE USED').locator('..').locator('dd')).toHaveText(/^[1-9][\d.]* (B|KB|MB)$/);
  const vaultJobs = page.getByRole('figure', { name: 'Jobs per day' });
  await expect(vaultJobs.locator('canvas').first()).toBeVisible();
  await expect(vaultJobs.getByRole('row', { name: new RegExp(`^${today}`) }).getByRole('cell')).toHaveText(['3', '1']);
  await expect(page.getByRole('figure', { name: 'Storage over time' }).locator('canvas').first()).toBeVisible();
  await screenshotWhole(page, 'dashboard.png');
});
