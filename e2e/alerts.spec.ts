import { createHmac } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { downloadAndRegister } from './agent-files';
import { expect, test } from './fixtures';
import { createActiveVault, notifications } from './pages';

const VAULT = 'alerts-vault';

function vaultTab(page: Page, tab: string) {
  return page.getByRole('navigation', { name: 'Vault' }).getByRole('link', { name: tab }).click();
}

test('deleting backup data raises a Critical alert: on ALERTS and the DASHBOARD, at the signed webhook, and RESOLVE ends it', async ({
  portal: page,
}) => {
  // A real webhook receiver on this machine (http is allowed to loopback addresses).
  const calls: { signature: string | undefined; body: string }[] = [];
  const receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      calls.push({
        signature: request.headers['x-portal-signature'] as string | undefined,
        body: Buffer.concat(chunks).toString(),
      });
      response.statusCode = 204;
      response.end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const webhookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/alerts`;
  try {
    await page.goto('/recovery-services');
    await createActiveVault(page, VAULT);
    await page.getByRole('link', { name: VAULT, exact: true }).click();
    const machine = await downloadAndRegister(page, 'ALERTSERVER');

    // CONFIGURE: Alert notifications, saved with the page's SAVE; a bad value is named and nothing is saved.
    await vaultTab(page, 'CONFIGURE');
    const section = page.getByRole('region', { name: 'Alert notifications' });
    const bar = page.getByRole('toolbar', { name: 'Command bar' });
    await section.getByRole('textbox', { name: 'Email recipients' }).fill('ops@example.com');
    await section.getByRole('textbox', { name: 'Webhook URL' }).fill('http://hooks.example.com/alerts');
    await bar.getByRole('button', { name: 'SAVE' }).click();
    await expect(
      section.getByText('The webhook URL must be an https:// URL, or http:// to this machine'),
    ).toBeVisible();
    await section.getByRole('textbox', { name: 'Webhook URL' }).fill(webhookUrl);
    await section.getByRole('spinbutton', { name: 'Alert when no backup for' }).fill('24');
    await bar.getByRole('button', { name: 'SAVE' }).click();
    const secretBox = section.getByRole('textbox', { name: 'Webhook secret' });
    await expect(secretBox).toHaveValue(/^whsec_/);
    const secret = await secretBox.inputValue();
    await expect(
      notifications(page).getByText(`The alert notifications of backup vault '${VAULT}' were saved.`),
    ).toBeVisible();
    // Shown once: not after a reload; the settings are kept.
    await page.reload();
    await expect(section.getByRole('textbox', { name: 'Webhook URL' })).toHaveValue(webhookUrl);
    await expect(section.getByRole('textbox', { name: 'Email recipients' })).toHaveValue('ops@example.com');
    await expect(section.getByRole('spinbutton', { name: 'Alert when no backup for' })).toHaveValue('24');
    await expect(section.getByRole('textbox', { name: 'Webhook secret' })).toHaveCount(0);

    const folder = path.join(machine.workDir, 'Projects');
    await mkdir(folder, { recursive: true });
    await writeFile(path.join(folder, 'plan.txt'), 'the plan\n');
    expect((await machine.run('protect', '--path', folder)).code).toBe(0);
    expect((await machine.run('backup')).code).toBe(0);

    await vaultTab(page, 'ALERTS');
    await expect(page.getByText('No active alerts.')).toBeVisible();
    await vaultTab(page, 'PROTECTED ITEMS');
    await page.getByRole('radio', { name: `Select ${folder} on ALERTSERVER` }).check();
    await bar.getByRole('button', { name: 'STOP PROTECTION' }).click();
    const dialog = page.getByRole('dialog', { name: 'Stop protection' });
    await dialog.getByRole('checkbox', { name: 'Delete associated backup data' }).check();
    await dialog.getByRole('button', { name: 'Stop protection' }).click();
    await expect(page.getByText('No items are protected in this vault.')).toBeVisible();

    await vaultTab(page, 'ALERTS');
    for (const header of [
      'ALERT',
      'BACKUP ITEM',
      'PROTECTED SERVER',
      'SEVERITY',
      'DURATION',
      'CREATION TIME',
      'STATUS',
      'LATEST OCCURRENCE TIME',
    ]) {
      await expect(page.getByRole('columnheader', { name: header, exact: true })).toBeVisible();
    }
    const row = page.getByRole('row').filter({ hasText: 'Backup data deleted' });
    await expect(row).toContainText(folder);
    await expect(row).toContainText('ALERTSERVER');
    await expect(row).toContainText('Critical');
    await expect(row).toContainText('Active');

    await vaultTab(page, 'DASHBOARD');
    const counts = page.getByRole('region', { name: 'usage overview' });
    await expect(counts.getByRole('term').filter({ hasText: 'CRITICAL' })).toBeVisible();
    await expect(
      counts
        .locator('div')
        .filter({ hasText: /^CRITICAL/ })
        .getByRole('definition'),
    ).toHaveText('1');

    // The webhook: the alert as JSON, signed with the secret shown once.
    await expect.poll(() => calls.length, { timeout: 15_000 }).toBe(1);
    const [call] = calls;
    expect(call!.signature).toBe(`sha256=${createHmac('sha256', secret).update(call!.body).digest('hex')}`);
    expect(JSON.parse(call!.body)).toMatchObject({
      alert: 'Backup data deleted',
      severity: 'Critical',
      backupItem: folder,
      protectedServer: 'ALERTSERVER',
      vault: { name: VAULT },
    });

    await vaultTab(page, 'ALERTS');
    await page.getByRole('radio', { name: `Select Backup data deleted of ${folder} on ALERTSERVER` }).check();
    await bar.getByRole('button', { name: 'RESOLVE' }).click();
    // Resolved: gone from the Active list (the default filter).
    await expect(page.getByText('No active alerts.')).toBeVisible();
    await page.getByRole('combobox', { name: 'Status' }).selectOption('Resolved');
    await page.getByRole('button', { name: 'Apply filter' }).click();
    await expect(page.getByRole('row').filter({ hasText: 'Backup data deleted' })).toContainText('Resolved');
    await page.screenshot({ path: 'test-results/screenshots/alerts.png' });
  } finally {
    await new Promise((resolve) => receiver.close(resolve));
  }
});
