import { expect, type Seeded, test } from '../fixtures';

const hourAgo = () => new Date(Date.now() - 3600_000).toISOString();

async function seedOne(emulator: import('../fixtures').Emulator): Promise<Seeded> {
  return emulator.seed([
    {
      name: 'seeded-vault',
      servers: [
        {
          name: 'FILESERVER',
          passphrase: 'a seeded passphrase',
          items: [
            {
              path: '/srv/share',
              points: [
                { takenAt: new Date(Date.now() - 3 * 3600_000).toISOString(), files: { 'readme.txt': 'first\n' } },
                {
                  takenAt: hourAgo(),
                  files: {
                    'readme.txt': 'hello from the emulator\n',
                    'docs/plan.md': '# The plan\n',
                    'docs/notes.txt': 'notes\n',
                  },
                },
              ],
            },
          ],
        },
      ],
    },
  ]);
}

async function openPoint(page: import('@playwright/test').Page, vaultId: string) {
  await page.goto(`/recovery-services/vaults/${vaultId}/protected-items`);
  await page.getByRole('row').filter({ hasText: '/srv/share' }).getByRole('radio').check();
  await page.getByRole('toolbar', { name: 'Command bar' }).getByRole('button', { name: 'RESTORE' }).click();
  await page.getByLabel('Time').selectOption({ index: 0 });
  await page.getByLabel('Passphrase').fill('a seeded passphrase');
  await page.getByRole('button', { name: 'BROWSE' }).click();
  await expect(page.getByRole('treegrid', { name: 'Files' })).toBeVisible();
}

test('seeded items show their recovery points on PROTECTED ITEMS', async ({ page, emulator }) => {
  const { vaults } = await seedOne(emulator);
  await page.goto(`/recovery-services/vaults/${vaults[0]!.id}/protected-items`);
  const row = page.getByRole('row').filter({ hasText: '/srv/share' });
  await expect(row).toContainText('FILESERVER');
  await expect(row.getByRole('cell').nth(4)).toHaveText('2');
});

test('the recovery-point browser opens a seeded point with its passphrase, and DOWNLOAD is an ordinary download', async ({
  page,
  emulator,
}) => {
  const { vaults } = await seedOne(emulator);
  await openPoint(page, vaults[0]!.id);
  await page.getByRole('treegrid', { name: 'Files' }).getByRole('row').filter({ hasText: 'readme.txt' }).click();
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('toolbar', { name: 'Command bar' }).getByRole('button', { name: 'DOWNLOAD' }).click(),
  ]);
  expect(download.suggestedFilename()).toBe('readme.txt');
  const stream = await download.createReadStream();
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  expect(Buffer.concat(chunks).toString()).toBe('hello from the emulator\n');
});

test('a folder downloads as a ZIP that Playwright sees', async ({ page, emulator }) => {
  const { vaults } = await seedOne(emulator);
  await openPoint(page, vaults[0]!.id);
  await page.getByRole('treegrid', { name: 'Files' }).getByRole('row').filter({ hasText: 'docs' }).click();
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('toolbar', { name: 'Command bar' }).getByRole('button', { name: 'DOWNLOAD' }).click(),
  ]);
  expect(download.suggestedFilename()).toBe('docs.zip');
  const chunks: Buffer[] = [];
  for await (const chunk of await download.createReadStream()) chunks.push(chunk as Buffer);
  const zip = Buffer.concat(chunks);
  expect(zip.subarray(0, 2).toString()).toBe('PK');
  expect(zip.includes('plan.md')).toBe(true);
  expect(zip.includes('# The plan')).toBe(true);
});

test('a seeded failed backup shows in JOBS and raises its alert', async ({ page, emulator }) => {
  const { vaults } = await emulator.seed([
    {
      name: 'failing-vault',
      servers: [
        {
          name: 'SQLSERVER',
          items: [
            {
              path: '/var/lib/data',
              jobs: [
                {
                  operation: 'Backup',
                  status: 'Failed',
                  startedAt: hourAgo(),
                  endedAt: hourAgo(),
                  error: 'The disk is full.',
                },
              ],
            },
          ],
        },
      ],
    },
  ]);
  await page.goto(`/recovery-services/vaults/${vaults[0]!.id}/jobs`);
  await expect(page.getByRole('row').filter({ hasText: '/var/lib/data' })).toContainText('Failed');
  await page.goto(`/recovery-services/vaults/${vaults[0]!.id}/alerts`);
  const alert = page.getByRole('row').filter({ hasText: 'Backup failure' });
  await expect(alert).toContainText('/var/lib/data');
  await expect(alert).toContainText('Critical');
});

test('a seeded Reader finds the buttons that change things disabled', async ({ browser, emulator }) => {
  const { vaults } = await seedOne(emulator);
  const email = `reader-${test.info().workerIndex}-${Date.now().toString(36)}@example.com`;
  await emulator.seed([], [{ email, password: 'reader-password-1', role: 'Reader' }]);
  const context = await browser.newContext({ storageState: { cookies: [], origins: [] } });
  const page = await context.newPage();
  const { signIn } = await import('../fixtures');
  await signIn(page, email, 'reader-password-1');
  await page.goto(`/recovery-services/vaults/${vaults[0]!.id}/protected-items`);
  await page.getByRole('row').filter({ hasText: '/srv/share' }).getByRole('radio').check();
  await expect(
    page.getByRole('toolbar', { name: 'Command bar' }).getByRole('button', { name: 'BACKUP NOW' }),
  ).toBeDisabled();
  await context.close();
});
