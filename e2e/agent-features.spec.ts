import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { TestProxy } from '../testing/proxy';
import { type DownloadedAgent, downloadAndRegister } from './agent-files';
import { expect, test } from './fixtures';
import { createActiveVault } from './pages';

const VAULT = 'agent-features';
const PORT = process.env.E2E_PORT!;
const MiB = 1024 * 1024;

test.describe.configure({ mode: 'serial' });

let machine: DownloadedAgent;
let folder: string;

async function openVault(page: Page) {
  await page.goto('/recovery-services');
  await page.getByRole('link', { name: VAULT, exact: true }).click();
}

test('the downloaded agent: protect --exclude keeps excluded files out of the point, and status shows them', async ({
  portal: page,
}) => {
  await page.goto('/recovery-services');
  await createActiveVault(page, VAULT);
  await page.getByRole('link', { name: VAULT, exact: true }).click();
  machine = await downloadAndRegister(page, 'FEATURESERVER');
  folder = path.join(machine.workDir, 'Projects');
  await mkdir(path.join(folder, 'cache'), { recursive: true });
  await writeFile(path.join(folder, 'plan.txt'), 'the plan\n');
  await writeFile(path.join(folder, 'scratch.tmp'), 'scratch\n');
  await writeFile(path.join(folder, 'keep.tmp'), 'keep me\n');
  await writeFile(path.join(folder, 'cache', 'blob.bin'), randomBytes(4096));

  const protect = await machine.run(
    'protect',
    '--path',
    folder,
    '--exclude',
    '*.tmp',
    '--exclude',
    'cache/',
    '--exclude',
    '!keep.tmp',
  );
  expect(protect.code).toBe(0);
  expect(protect.stdout).toContain('excluding: *.tmp, cache/, !keep.tmp');
  expect((await machine.run('status')).stdout).toContain(
    `Excluded from backups of ${folder}: *.tmp, cache/, !keep.tmp`,
  );
  expect((await machine.run('backup')).code).toBe(0);

  const target = path.join(machine.workDir, 'restored');
  expect((await machine.run('recover', '--path', folder, '--target', target)).code).toBe(0);
  expect((await readdir(target)).sort()).toEqual(['keep.tmp', 'plan.txt']);
});

test('throttle limits the upload rate of the downloaded agent, and --off removes it', async () => {
  const set = await machine.run(
    'throttle',
    '--work-hours',
    'Mon-Sun 00:00-24:00',
    '--work-rate',
    '1MB/s',
    '--other-rate',
    '1MB/s',
  );
  expect(set.code, set.stderr).toBe(0);
  expect((await machine.run('status')).stdout).toMatch(/1MB\/s/);
  await writeFile(path.join(folder, 'big.bin'), randomBytes(4 * MiB));
  const started = Date.now();
  const backup = await machine.run('backup');
  const seconds = (Date.now() - started) / 1000;
  expect(backup.code, backup.stderr).toBe(0);
  // 4 MiB at 1 MiB/s: at least 3 s after the bucket's first half second (a throttle cannot make it faster).
  expect(seconds).toBeGreaterThanOrEqual(3);
  expect((await machine.run('throttle', '--off')).code).toBe(0);
  expect((await machine.run('status')).stdout).not.toMatch(/1MB\/s/);
});

test('proxy --url: every call of the downloaded agent goes through the proxy, with its credentials', async () => {
  const credentials = { user: 'agent', password: 'proxy-secret' };
  const proxy = await new TestProxy({ [`localhost:${PORT}`]: Number(PORT) }, credentials).listen();
  try {
    expect((await machine.run('proxy', '--url', proxy.url(credentials))).code).toBe(0);
    const status = await machine.run('status');
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(`Proxy: http://agent:***@127.0.0.1:${proxy.port}`);
    await writeFile(path.join(folder, 'through-proxy.txt'), 'sent through the proxy\n');
    expect((await machine.run('backup')).code).toBe(0);
    expect(proxy.tunnels.length).toBeGreaterThan(0);
    for (const tunnel of proxy.tunnels) {
      expect(tunnel.target).toBe(`localhost:${PORT}`);
      expect(tunnel.authorization).toBe(`Basic ${Buffer.from('agent:proxy-secret').toString('base64')}`);
    }
    const wrong = await machine.run('proxy', '--url', proxy.url({ user: 'agent', password: 'wrong' }));
    expect(wrong.code).toBe(0);
    const refused = await machine.run('status');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('The proxy refused the credentials (407).');
  } finally {
    await machine.run('proxy', '--off');
    await proxy.close();
  }
  expect((await machine.run('status')).code).toBe(0);
});

test('verify reads back the point and records a Verify job on JOBS', async ({ portal: page }) => {
  const verified = await machine.run('verify', '--path', folder, '--sample', '100');
  expect(verified.code, verified.stderr).toBe(0);
  expect(verified.stdout).toContain('Verify completed: no damage found in the point of');
  await openVault(page);
  await page.getByRole('navigation', { name: 'Vault' }).getByRole('link', { name: 'JOBS' }).click();
  const row = page.getByRole('row').filter({ hasText: 'Verify' }).first();
  await expect(row).toContainText('Completed');
  await expect(row).toContainText(folder);
});

test('change-passphrase: the browser then opens the vault’s data with the new passphrase only', async ({
  portal: page,
}) => {
  const oldFile = path.join(machine.workDir, 'passphrase.txt');
  const newFile = path.join(machine.workDir, 'new-passphrase.txt');
  await writeFile(newFile, 'a brand new and even longer passphrase\n');
  const changed = await machine.run(
    'change-passphrase',
    '--passphrase-file',
    oldFile,
    '--new-passphrase-file',
    newFile,
  );
  expect(changed.code, changed.stderr).toBe(0);

  await openVault(page);
  await page.getByRole('navigation', { name: 'Vault' }).getByRole('link', { name: 'PROTECTED ITEMS' }).click();
  // The vault reopens on JOBS, whose rows name the folder too: wait for PROTECTED ITEMS' own table.
  await expect(page.getByRole('columnheader', { name: 'RECOVERY POINTS' })).toBeVisible();
  await page.getByRole('row').filter({ hasText: folder }).getByRole('radio').check();
  await page.getByRole('toolbar', { name: 'Command bar' }).getByRole('button', { name: 'RESTORE' }).click();
  await page.getByLabel('Time').selectOption({ index: 0 });
  await page.getByLabel('Passphrase').fill('a long and secret passphrase');
  await page.getByRole('button', { name: 'BROWSE' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'The passphrase is incorrect.' })).toBeVisible();
  await page.getByLabel('Passphrase').fill('a brand new and even longer passphrase');
  await page.getByRole('button', { name: 'BROWSE' }).click();
  await expect(
    page.getByRole('treegrid', { name: 'Files' }).getByRole('row').filter({ hasText: 'plan.txt' }),
  ).toBeVisible();
});

test('install-service --print shows the systemd unit; without systemd, install-service says so in one line', async () => {
  const printed = await machine.run('install-service', '--print');
  expect(printed.code, printed.stderr).toBe(0);
  expect(printed.stdout).toContain('[Service]');
  expect(printed.stdout).toMatch(/ExecStart=.*recovery-services-agent\.mjs.* run --state-dir /);
  expect(printed.stdout).toContain(machine.stateDir);
  if (!existsSync('/run/systemd/system')) {
    const install = await machine.run('install-service');
    expect(install.code).not.toBe(0);
    expect(install.stderr.trim().split('\n')).toHaveLength(1);
    expect(install.stderr).toContain('systemd is not running on this machine');
  }
});
