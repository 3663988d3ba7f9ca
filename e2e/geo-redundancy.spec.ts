import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, open, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { readState } from '../agent/state';
import { downloadAndRegister } from './agent-files';
import { expect, test } from './fixtures';
import { createActiveVault } from './pages';

const VAULT = 'grs-vault';
const dataDir = process.env.E2E_DATA_DIR!;

function vaultTab(page: Page, tab: string) {
  return page.getByRole('navigation', { name: 'Vault' }).getByRole('link', { name: tab }).click();
}

/** Flips one byte in the middle of each of the key's packs in a store (their size unchanged). */
async function damagePacks(storeRoot: string, keyId: string): Promise<number> {
  const dir = path.join(storeRoot, 'objects', keyId, 'packs');
  const packs = await readdir(dir);
  for (const name of packs) {
    const file = await open(path.join(dir, name), 'r+');
    try {
      const { size } = await file.stat();
      const byte = Buffer.alloc(1);
      await file.read(byte, 0, 1, Math.floor(size / 2));
      byte[0] = byte[0]! ^ 0xff;
      await file.write(byte, 0, 1, Math.floor(size / 2));
    } finally {
      await file.close();
    }
  }
  return packs.length;
}

test('a Geo-Redundant vault: replicated (DASHBOARD), VERIFY repairs a damaged primary, and marks Damaged when no copy is whole', async ({
  portal: page,
}) => {
  test.setTimeout(120_000);
  await page.goto('/recovery-services');
  await createActiveVault(page, VAULT);
  await page.getByRole('link', { name: VAULT, exact: true }).click();
  const machine = await downloadAndRegister(page, 'GRSSERVER');
  const folder = path.join(machine.workDir, 'Ledger');
  await mkdir(folder, { recursive: true });
  const content = randomBytes(3 * 1024 * 1024);
  await writeFile(path.join(folder, 'ledger.bin'), content);
  await writeFile(path.join(folder, 'notes.txt'), 'quarterly notes\n');
  expect((await machine.run('protect', '--path', folder)).code).toBe(0);
  expect((await machine.run('backup')).code).toBe(0);

  // The DASHBOARD's Replication figure: the copy catches up by itself (a live figure, no reload).
  await vaultTab(page, 'DASHBOARD');
  const glance = page.getByRole('region', { name: 'quick glance' });
  await expect(glance).toContainText('Geo-Redundant');
  await expect(glance).toContainText('Up to date', { timeout: 30_000 });

  // A pack in the primary store is damaged: VERIFY finds it and repairs it from the secondary's whole copy.
  const keyId = (await readState(machine.stateDir))!.keyId!;
  expect(await damagePacks(path.join(dataDir, 'backups'), keyId)).toBeGreaterThan(0);
  await vaultTab(page, 'PROTECTED ITEMS');
  const bar = page.getByRole('toolbar', { name: 'Command bar' });
  await page.getByRole('radio', { name: `Select ${folder} on GRSSERVER` }).check();
  await bar.getByRole('button', { name: 'VERIFY' }).click();
  await vaultTab(page, 'JOBS');
  const verify = page.getByRole('row').filter({ hasText: 'Verify storage' }).first();
  await expect(verify).toContainText('Completed', { timeout: 30_000 });
  await verify.getByRole('radio').check();
  await page.getByRole('toolbar', { name: 'Command bar' }).getByRole('button', { name: 'VIEW DETAILS' }).click();
  await expect(page.getByText(/1 pack repaired from the secondary store/).first()).toBeVisible();

  // The repaired point restores byte for byte.
  const target = await mkdtemp(path.join(os.tmpdir(), 'grs-restore-'));
  expect((await machine.run('recover', '--path', folder, '--target', target)).code).toBe(0);
  const restored = await readdir(target, { recursive: true });
  const ledger = restored.find((p) => p.endsWith('ledger.bin'))!;
  expect(Buffer.compare(await readFile(path.join(target, ledger)), content)).toBe(0);

  // Both copies damaged: the item is Damaged, and a Critical alert says so.
  await damagePacks(path.join(dataDir, 'backups'), keyId);
  await damagePacks(path.join(dataDir, 'secondary'), keyId);
  await vaultTab(page, 'PROTECTED ITEMS');
  await page.getByRole('radio', { name: `Select ${folder} on GRSSERVER` }).check();
  await bar.getByRole('button', { name: 'VERIFY' }).click();
  const row = page.getByRole('row').filter({ hasText: folder });
  await expect(async () => {
    await page.reload();
    await expect(row.getByRole('cell').nth(3)).toHaveText('Damaged', { timeout: 1000 });
  }).toPass({ timeout: 30_000 });
  await vaultTab(page, 'ALERTS');
  const alert = page.getByRole('row').filter({ hasText: 'Backup data damaged' });
  await expect(alert).toContainText('Critical');
  await expect(alert).toContainText(folder);
});
