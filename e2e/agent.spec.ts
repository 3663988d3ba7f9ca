import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect, test } from './fixtures';
import { createActiveVault, notifications } from './pages';

const run = promisify(execFile);
const VAULT = 'agent-vault';
const CONFIRM =
  'This operation will delete all data in the backup vault that is associated with the server. Are you sure you want to unregister the server?';

test.describe.configure({ mode: 'serial' });

let workDir: string;
let agentPath: string;
let credentialsPath: string;

async function agent(...args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, [agentPath, ...args], { timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test('a new user downloads credentials and the agent from Quick Start and registers a machine', async ({
  portal: page,
}) => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'agent-e2e-'));
  await page.goto('/recovery-services');
  await createActiveVault(page, VAULT);
  await page.getByRole('link', { name: VAULT, exact: true }).click();

  const [credentials] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download vault credentials' }).click(),
  ]);
  credentialsPath = path.join(workDir, credentials.suggestedFilename());
  await credentials.saveAs(credentialsPath);

  await expect(page.getByRole('heading', { name: 'Download Agent' })).toBeVisible();
  const [agentDownload] = await Promise.all([
    page.waitForEvent('download'),
    page
      .getByRole('link', { name: 'For Windows Server or System Center Data Protection Manager or Windows client' })
      .click(),
  ]);
  expect(agentDownload.suggestedFilename()).toBe('recovery-services-agent.mjs');
  agentPath = path.join(workDir, 'recovery-services-agent.mjs');
  await agentDownload.saveAs(agentPath);

  const short = path.join(workDir, 'short.txt');
  await writeFile(short, 'too-short\n');
  const refused = await agent(
    'register',
    '--vault-credentials',
    credentialsPath,
    '--passphrase-file',
    short,
    '--state-dir',
    path.join(workDir, 's0'),
  );
  expect(refused.code).not.toBe(0);
  expect(refused.stderr.trim()).toBe('The passphrase must be at least 16 characters long.');

  const passphrase = path.join(workDir, 'passphrase.txt');
  await writeFile(passphrase, 'a long and secret passphrase\n');
  const registered = await agent(
    'register',
    '--vault-credentials',
    credentialsPath,
    '--passphrase-file',
    passphrase,
    '--machine-name',
    'FILESERVER01',
    '--state-dir',
    path.join(workDir, 's1'),
  );
  expect(registered.stderr).toBe('');
  expect(registered.stdout.trim()).toBe('Machine registration succeeded.');
  expect(registered.code).toBe(0);

  const status = await agent('status', '--state-dir', path.join(workDir, 's1'));
  expect(status.stdout).toContain('FILESERVER01');
  expect(status.stdout).toContain(VAULT);

  const vaultNav = page.getByRole('navigation', { name: 'Vault' });
  await vaultNav.getByRole('link', { name: 'REGISTERED ITEMS' }).click();
  const row = page.getByRole('row').filter({ hasText: 'FILESERVER01' });
  await expect(row).toContainText('Registered');
  await expect(row).toContainText('No backup yet');
  for (const header of ['NAME', 'TYPE', 'STATUS', 'LAST BACKUP']) {
    await expect(page.getByRole('columnheader', { name: header })).toBeVisible();
  }
  await page.screenshot({ path: 'test-results/screenshots/registered-items.png' });

  await vaultNav.getByRole('link', { name: 'CONFIGURE' }).click();
  await expect(
    page.getByText('Storage replication is locked because an item is registered to this vault.'),
  ).toBeVisible();
  for (const radio of await page.getByRole('radiogroup', { name: 'Storage replication' }).getByRole('radio').all()) {
    await expect(radio).toBeDisabled();
  }

  await vaultNav.getByRole('link', { name: 'DASHBOARD' }).click();
  await expect(
    page.getByRole('toolbar', { name: 'Command bar' }).getByRole('button', { name: 'DELETE' }),
  ).toBeDisabled();
  await expect(page.getByRole('region', { name: 'usage overview' })).toContainText('1');

  await vaultNav.getByRole('link', { name: 'JOBS' }).click();
  await expect(page.getByRole('cell', { name: 'Register server' })).toBeVisible();
});

test('a second registration of the name is refused until ALLOW RE-REGISTRATION, then DELETE unregisters', async ({
  portal: page,
}) => {
  const passphrase = path.join(workDir, 'passphrase.txt');
  const again = () =>
    agent(
      'register',
      '--vault-credentials',
      credentialsPath,
      '--passphrase-file',
      passphrase,
      '--machine-name',
      'FILESERVER01',
      '--state-dir',
      path.join(workDir, 's2'),
    );
  const refused = await again();
  expect(refused.code).not.toBe(0);
  expect(refused.stderr).toContain("A server named 'FILESERVER01' is already registered to this vault.");

  await page.goto('/recovery-services');
  await page.getByRole('link', { name: VAULT, exact: true }).click();
  await page.getByRole('navigation', { name: 'Vault' }).getByRole('link', { name: 'REGISTERED ITEMS' }).click();
  const bar = page.getByRole('toolbar', { name: 'Command bar' });
  await expect(bar.getByRole('button', { name: 'ALLOW RE-REGISTRATION' })).toBeDisabled();
  await page.getByRole('radio', { name: 'Select FILESERVER01' }).check();
  await bar.getByRole('button', { name: 'ALLOW RE-REGISTRATION' }).click();
  await expect(notifications(page).getByText("The server 'FILESERVER01' can now register")).toBeVisible();

  const accepted = await again();
  expect(accepted.stdout.trim()).toBe('Machine registration succeeded.');
  expect((await again()).code).not.toBe(0);

  await page.reload();
  await page.getByRole('radio', { name: 'Select FILESERVER01' }).check();
  await bar.getByRole('button', { name: 'DELETE' }).click();
  const confirm = page.getByRole('alertdialog', { name: 'Unregister server' });
  await expect(confirm.getByText(CONFIRM, { exact: true })).toBeVisible();
  await confirm.getByRole('button', { name: 'Yes' }).click();
  await expect(notifications(page).getByText("The server 'FILESERVER01' has been unregistered")).toBeVisible();
  await expect(page.getByText('No servers are registered to this vault.')).toBeVisible();

  const revoked = await agent('status', '--state-dir', path.join(workDir, 's2'));
  expect(revoked.code).not.toBe(0);
  expect(revoked.stderr).toContain('no longer registered');

  await page.getByRole('navigation', { name: 'Vault' }).getByRole('link', { name: 'DASHBOARD' }).click();
  await expect(bar.getByRole('button', { name: 'DELETE' })).toBeEnabled();
});
