import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { type DownloadedAgent, downloadAndRegister, waitForLine } from './agent-files';
import { expect, test } from './fixtures';
import { createActiveVault, notifications } from './pages';

const VAULT = 'policy-vault';
const POLICY = 'Short-Term';
const MiB = 1024 * 1024;
const HALF_HOUR = 30 * 60_000;
// The agent's `run` reads its schedule with a clock moved by this many seconds (a test-only setting).
const SCHEDULE_OFFSET = 'AGENT_TEST_SCHEDULE_OFFSET_SECONDS';

test.describe.configure({ mode: 'serial' });

let machine: DownloadedAgent;
let folder: string;
/** The half hour the new policy backs up at: at least two minutes ahead when the policy is made. */
let slot: number;

async function openVault(page: Page) {
  await page.goto('/recovery-services');
  await page.getByRole('link', { name: VAULT, exact: true }).click();
}

function vaultTab(page: Page, tab: string) {
  return page.getByRole('navigation', { name: 'Vault' }).getByRole('link', { name: tab }).click();
}

function commandBar(page: Page) {
  return page.getByRole('toolbar', { name: 'Command bar' });
}

const hhmm = (time: number) => new Date(time).toISOString().slice(11, 16);

test('a new user adds a policy: the name message, a range message, the preview, and assigns it to an item', async ({
  portal: page,
}) => {
  await page.goto('/recovery-services');
  await createActiveVault(page, VAULT);
  await page.getByRole('link', { name: VAULT, exact: true }).click();
  machine = await downloadAndRegister(page, 'POLICYSERVER');
  folder = path.join(machine.workDir, 'Projects');
  await mkdir(folder, { recursive: true });
  await writeFile(path.join(folder, 'plan.txt'), 'The plan.\n'.repeat(1000));
  expect((await machine.run('protect', '--path', folder)).code).toBe(0);
  for (let i = 0; i < 2; i++) expect((await machine.run('backup')).stdout.trim()).toBe('Backup completed.');

  await vaultTab(page, 'POLICIES');
  for (const header of ['NAME', 'SCHEDULE', 'RETENTION', 'ITEMS']) {
    await expect(page.getByRole('columnheader', { name: header, exact: true })).toBeVisible();
  }
  const defaultRow = page.getByRole('row').filter({ hasText: 'DefaultPolicy' });
  await expect(defaultRow).toContainText('Daily at 22:00 UTC');
  await expect(defaultRow).toContainText('Daily points 30 days');
  await expect(defaultRow.getByRole('cell').nth(4)).toHaveText('1');

  await commandBar(page).getByRole('button', { name: 'ADD' }).click();
  const form = page.getByRole('form', { name: 'Add a policy' });
  await form.getByLabel('Name').fill('2-bad name');
  await expect(
    form.getByText(
      'Type a policy name that contains between 3 and 150 characters. It must start with a letter, end with a letter or number, and can contain only letters, numbers, and hyphens.',
    ),
  ).toBeVisible();
  await form.getByLabel('Name').fill(POLICY);
  await expect(form.getByText(/Type a policy name/)).toHaveCount(0);

  slot = Math.ceil((Date.now() + 2 * 60_000) / HALF_HOUR) * HALF_HOUR;
  await form.getByLabel('Time 1').selectOption({ label: hhmm(slot) });
  await form.getByLabel('Daily retention in days').fill('400');
  await expect(form.getByText('Keep daily backup points for between 1 and 366 days.')).toBeVisible();
  await form.getByLabel('Daily retention in days').fill('3');
  await form.getByRole('checkbox', { name: 'Keep monthly backup points' }).check();
  await form.getByLabel('Monthly retention in months').fill('121');
  await expect(form.getByText('Keep monthly backup points for between 1 and 120 months.')).toBeVisible();
  await form.getByLabel('Monthly retention in months').fill('6');

  // The preview: the item's two points, both kept, none deleted.
  const preview = page.getByRole('region', { name: 'Preview' });
  const row = preview.getByRole('row').filter({ hasText: folder });
  await expect(row.getByRole('cell')).toHaveText([folder, 'POLICYSERVER', '2', '2', '0']);
  await expect(preview.getByRole('status')).toHaveText('Following this policy would delete no recovery point.');
  await preview.screenshot({ path: 'test-results/screenshots/policy-preview.png' });
  await form.getByRole('button', { name: 'Save' }).click();

  await expect(notifications(page).getByText(`The policy '${POLICY}' has been created`)).toBeVisible();
  const policyRow = page.getByRole('row').filter({ hasText: POLICY });
  await expect(policyRow).toContainText(`Daily at ${hhmm(slot)} UTC`);
  await expect(policyRow).toContainText('Daily points 3 days, monthly 6 months');
  await page.screenshot({ path: 'test-results/screenshots/policies.png' });

  // Assign it on PROTECTED ITEMS; the dialog says what it would keep and delete.
  await vaultTab(page, 'PROTECTED ITEMS');
  await page.getByRole('radio', { name: `Select ${folder} on POLICYSERVER` }).check();
  await commandBar(page).getByRole('button', { name: 'CHANGE POLICY' }).click();
  const dialog = page.getByRole('dialog', { name: 'Change policy' });
  await dialog.getByLabel('Policy').selectOption({ label: POLICY });
  await expect(dialog.getByRole('status')).toHaveText(
    'With this policy the item keeps 2 of its 2 recovery points and 0 are deleted.',
  );
  await dialog.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('row').filter({ hasText: folder }).getByRole('cell').nth(7)).toHaveText(POLICY);

  // A policy that items follow cannot be deleted.
  await vaultTab(page, 'POLICIES');
  await page.getByRole('radio', { name: `Select ${POLICY}` }).check();
  await commandBar(page).getByRole('button', { name: 'DELETE' }).click();
  await page.getByRole('dialog', { name: 'Delete policy' }).getByRole('button', { name: 'Delete' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'cannot be deleted' })).toHaveText(
    `The policy '${POLICY}' cannot be deleted while 1 protected item follows it. Choose another policy for it in PROTECTED ITEMS first.`,
  );
});

test('the agent in run mode backs up at the time the policy says', async ({ portal: page }) => {
  // The agent's schedule clock stands 5 seconds before the policy's half hour: its backup comes in seconds.
  process.env[SCHEDULE_OFFSET] = String(Math.round((slot - Date.now()) / 1000) - 5);
  const service = machine.spawn('run');
  delete process.env[SCHEDULE_OFFSET];
  try {
    const slotIso = new Date(slot).toISOString();
    await waitForLine(service, (line) => line.includes(`Next scheduled backup of '${folder}': ${slotIso}`));
    await waitForLine(service, (line) => line.includes(`(scheduled for ${slotIso} by policy '${POLICY}')`));
    await openVault(page);
    await vaultTab(page, 'PROTECTED ITEMS');
    await expect(page.getByRole('row').filter({ hasText: folder }).getByRole('cell').nth(4)).toHaveText('3', {
      timeout: 30_000,
    });
  } finally {
    service.kill('SIGTERM');
  }
});

test('JOBS filtered by status and operation, shared as a link, with a job’s details', async ({ portal: page }) => {
  await openVault(page);
  await vaultTab(page, 'JOBS');
  const filters = page.getByRole('search', { name: 'Filter jobs' });
  await filters.getByLabel('Status').selectOption({ label: 'Completed' });
  await filters.getByLabel('Operation').selectOption({ label: 'Backup' });
  await filters.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page).toHaveURL(/status=Completed&operation=Backup/);
  const rows = page
    .getByRole('table')
    .getByRole('row')
    .filter({ has: page.getByRole('radio') });
  await expect(rows).toHaveCount(3);
  for (const row of await rows.all()) {
    await expect(row.getByRole('cell').nth(1)).toHaveText('Backup');
    await expect(row.getByRole('cell').nth(2)).toHaveText('Completed');
  }

  // The link, opened anew, shows the same list.
  const shared = page.url();
  const other = await page.context().newPage();
  await other.goto(shared);
  await expect(
    other
      .getByRole('table')
      .getByRole('row')
      .filter({ has: other.getByRole('radio') }),
  ).toHaveCount(3);
  await expect(other.getByRole('search', { name: 'Filter jobs' }).getByLabel('Status')).toHaveValue('Completed');
  await other.screenshot({ path: 'test-results/screenshots/jobs-filtered.png' });
  await other.close();

  await rows.first().getByRole('link', { name: 'Backup' }).click();
  const details = page.getByRole('region', { name: 'job details' });
  await expect(details).toContainText(folder);
  await expect(details).toContainText('POLICYSERVER');
  for (const term of ['Duration', 'Data transferred', 'Errors']) await expect(details).toContainText(term);
  await page.screenshot({ path: 'test-results/screenshots/job-details.png' });
});

test('CANCEL stops a running backup; a finished job cannot be cancelled', async ({ portal: page }) => {
  for (let i = 0; i < 3; i++) await writeFile(path.join(folder, `video-${i}.raw`), randomBytes(96 * MiB));
  await openVault(page);
  await vaultTab(page, 'JOBS');
  const running = machine.spawn('backup', '--path', folder, '--json');
  const exited = new Promise<number | null>((resolve) => running.once('exit', resolve));
  // Frozen after its first report, the backup stays running while the user finds it and presses CANCEL.
  await waitForLine(running, (line) => line.includes('"event":"progress"'));
  running.kill('SIGSTOP');
  const job = page.getByRole('row').filter({ hasText: 'In progress' }).filter({ hasText: folder });
  await job.getByRole('radio').check();
  await commandBar(page).getByRole('button', { name: 'CANCEL' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'is being cancelled' })).toBeVisible();
  // The agent goes on and learns at its next report that its backup was cancelled: it stops within seconds.
  const resumedAt = Date.now();
  running.kill('SIGCONT');
  expect(await exited).toBe(1);
  expect(Date.now() - resumedAt).toBeLessThan(5000);
  await expect(page.getByRole('row').filter({ hasText: 'cancelled it in the portal' }).first()).toContainText(
    'Cancelled',
  );

  // A completed job cannot be cancelled: the classic refusal.
  await page
    .getByRole('row')
    .filter({ hasText: 'Completed' })
    .filter({ hasText: folder })
    .first()
    .getByRole('radio')
    .check();
  await commandBar(page).getByRole('button', { name: 'CANCEL' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'cancelable' })).toHaveText(
    'The job is not in a cancelable state - Please wait until the job completes.',
  );

  await vaultTab(page, 'PROTECTED ITEMS');
  const item = page.getByRole('row').filter({ hasText: folder });
  await expect(item.getByRole('cell').nth(4)).toHaveText('3');
  await expect(item.getByRole('cell').nth(6)).toHaveText('Cancelled');
});
