import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { type DownloadedAgent, downloadAndRegister, waitForLine } from './agent-files';
import { expect, test } from './fixtures';
import { createActiveVault, notifications } from './pages';

const VAULT = 'backup-vault';
const MiB = 1024 * 1024;

test.describe.configure({ mode: 'serial' });

let machine: DownloadedAgent;
let folder: string;

function vaultTab(page: Page, tab: string) {
  return page.getByRole('navigation', { name: 'Vault' }).getByRole('link', { name: tab }).click();
}

function itemRow(page: Page) {
  return page.getByRole('row').filter({ hasText: folder });
}

/** The Dashboard's STORAGE USED tile, in bytes. */
async function storageUsed(page: Page): Promise<number> {
  await vaultTab(page, 'DASHBOARD');
  const tile = page.getByRole('region', { name: 'usage overview' }).getByRole('definition').nth(2);
  const [value, unit] = ((await tile.textContent()) ?? '').trim().split(/\s+/);
  const scale = { B: 1, KB: 1024, MB: MiB, GB: 1024 * MiB } as Record<string, number>;
  return Number(value) * (scale[unit!] ?? Number.NaN);
}

test('a new user protects a folder, backs it up with the downloaded agent and sees it in the portal', async ({
  portal: page,
}) => {
  await page.goto('/recovery-services');
  await createActiveVault(page, VAULT);
  await page.getByRole('link', { name: VAULT, exact: true }).click();
  machine = await downloadAndRegister(page, 'BACKUPSERVER');

  folder = path.join(machine.workDir, 'Documents');
  await mkdir(path.join(folder, 'reports', 'empty'), { recursive: true });
  await writeFile(path.join(folder, 'photo.raw'), randomBytes(3 * MiB));
  for (let i = 0; i < 30; i++) {
    await writeFile(path.join(folder, 'reports', `report-${i}.txt`), `Quarterly report ${i}\n`.repeat(200));
  }
  const protect = await machine.run('protect', '--path', folder);
  expect(protect.stdout.trim()).toBe(`${folder}: Protected - (pending initial backup)`);

  await vaultTab(page, 'PROTECTED ITEMS');
  await expect(itemRow(page)).toContainText('Protected - (pending initial backup)');
  for (const header of ['NAME', 'SERVER', 'STATUS', 'RECOVERY POINTS', 'NEWEST RECOVERY POINT', 'LAST BACKUP STATUS']) {
    await expect(page.getByRole('columnheader', { name: header, exact: true })).toBeVisible();
  }

  const first = await machine.run('backup');
  expect(first.stderr).toBe('');
  expect(first.stdout.trim()).toBe('Backup completed.');

  await page.reload();
  const row = itemRow(page);
  await expect(row.getByRole('cell').nth(3)).toHaveText('Protected');
  await expect(row.getByRole('cell').nth(4)).toHaveText('1');
  await expect(row.getByRole('cell').nth(6)).toHaveText('Completed');
  await page.screenshot({ path: 'test-results/screenshots/protected-items.png' });

  await vaultTab(page, 'JOBS');
  const job = page
    .getByRole('row')
    .filter({ has: page.getByRole('cell', { name: 'Backup', exact: true }) })
    .filter({ hasText: folder });
  await expect(job).toContainText('Completed');
  await expect(job).toContainText('BACKUPSERVER');

  const storedFirst = await storageUsed(page);
  expect(storedFirst).toBeGreaterThan(2.9 * MiB);
  expect(storedFirst).toBeLessThan(4 * MiB);
  await expect(page.getByRole('region', { name: 'usage overview' }).getByRole('definition').nth(1)).toHaveText('1');

  // A small change: one report edited. The second point costs a few KB, not another 3 MB.
  const report = path.join(folder, 'reports', 'report-7.txt');
  await writeFile(report, `${await readFile(report, 'utf8')}Amended.\n`);
  expect((await machine.run('backup', '--path', folder)).stdout.trim()).toBe('Backup completed.');
  const storedSecond = await storageUsed(page);
  expect(storedSecond - storedFirst).toBeLessThan(64 * 1024);
  await vaultTab(page, 'PROTECTED ITEMS');
  await expect(itemRow(page).getByRole('cell').nth(4)).toHaveText('2');

  const points = await machine.run('points', '--path', folder);
  expect(points.stdout).toContain(`${folder}: 2 recovery points`);
  await vaultTab(page, 'REGISTERED ITEMS');
  await expect(page.getByRole('row').filter({ hasText: 'BACKUPSERVER' })).not.toContainText('No backup yet');
});

test('JOBS shows a running backup live, and a killed agent leaves no recovery point', async ({ portal: page }) => {
  await writeFile(path.join(folder, 'video.raw'), randomBytes(128 * MiB));
  await page.goto('/recovery-services');
  await page.getByRole('link', { name: VAULT, exact: true }).click();
  await vaultTab(page, 'JOBS');

  // Frozen after its first report, the agent's figures stay on the page for the test to read.
  const frozen = machine.spawn('backup', '--path', folder, '--json');
  await waitForLine(frozen, (line) => line.includes('"event":"progress"'));
  frozen.kill('SIGSTOP');
  const bar = page.getByRole('progressbar', { name: `Backup of ${folder}` });
  await expect(bar).toBeVisible();
  await expect(bar).toHaveAttribute('aria-valuetext', /of 131\.\d MB, \d+ of 32 files, .*\/s, .* left/);
  frozen.kill('SIGKILL');

  // The machine backs up again at once: the killed backup's job fails, the new one completes, one point is added.
  const again = await machine.run('backup', '--path', folder);
  expect(again.stdout.trim()).toBe('Backup completed.');
  await page.reload();
  await expect(
    page.getByRole('row').filter({ hasText: 'The agent started a new backup of this item' }).first(),
  ).toContainText('Failed');
  await vaultTab(page, 'PROTECTED ITEMS');
  await expect(itemRow(page).getByRole('cell').nth(4)).toHaveText('3');
});

test('BACKUP NOW is picked up by the agent running as a service', async ({ portal: page }) => {
  const service = machine.spawn('run');
  try {
    await waitForLine(service, (line) => line.includes('Backup service started'));
    await page.goto('/recovery-services');
    await page.getByRole('link', { name: VAULT, exact: true }).click();
    await vaultTab(page, 'PROTECTED ITEMS');
    await page.getByRole('radio', { name: `Select ${folder} on BACKUPSERVER` }).check();
    await page.getByRole('toolbar', { name: 'Command bar' }).getByRole('button', { name: 'BACKUP NOW' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'starts it within 10 seconds' })).toBeVisible();
    await expect(notifications(page).getByText(`The backup of '${folder}' on 'BACKUPSERVER' completed.`)).toBeVisible({
      timeout: 30_000,
    });
    await page.reload();
    await expect(itemRow(page).getByRole('cell').nth(4)).toHaveText('4');
  } finally {
    service.kill('SIGTERM');
  }
});

test('STOP PROTECTION with "Delete associated backup data" removes the item and frees its storage', async ({
  portal: page,
}) => {
  await page.goto('/recovery-services');
  await page.getByRole('link', { name: VAULT, exact: true }).click();
  await vaultTab(page, 'PROTECTED ITEMS');
  await page.getByRole('radio', { name: `Select ${folder} on BACKUPSERVER` }).check();
  await page.getByRole('toolbar', { name: 'Command bar' }).getByRole('button', { name: 'STOP PROTECTION' }).click();
  const dialog = page.getByRole('dialog', { name: 'Stop protection' });
  await expect(dialog).toBeVisible();
  await dialog.getByRole('checkbox', { name: 'Delete associated backup data' }).check();
  await dialog.getByRole('button', { name: 'Stop protection' }).click();
  await expect(
    notifications(page).getByText(
      `Protection of '${folder}' on 'BACKUPSERVER' has been stopped and its backup data deleted.`,
    ),
  ).toBeVisible();
  await expect(page.getByText('No items are protected in this vault.')).toBeVisible();
  await expect.poll(() => storageUsed(page), { timeout: 30_000 }).toBe(0);
});
