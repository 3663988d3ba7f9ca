import { expect, test } from '../fixtures';

test('moving the clock 25 hours empties the DASHBOARD’s last 24 hours', async ({ page, emulator }) => {
  const justNow = new Date(Date.now() - 60_000).toISOString();
  const { vaults } = await emulator.seed([
    {
      name: 'clock-vault',
      servers: [
        {
          name: 'CLOCKSERVER',
          items: [
            { path: '/data', jobs: [{ operation: 'Backup', status: 'Failed', startedAt: justNow, endedAt: justNow }] },
          ],
        },
      ],
    },
  ]);
  const failed = page
    .getByRole('region', { name: 'usage overview' })
    .locator('div')
    .filter({ hasText: /^FAILED/ });
  await page.goto(`/recovery-services/vaults/${vaults[0]!.id}/dashboard`);
  await expect(failed.getByRole('definition')).toHaveText('1');
  try {
    await emulator.advanceClock('25h');
    await page.reload();
    await expect(failed.getByRole('definition')).toHaveText('0');
  } finally {
    await emulator.realClock();
  }
});

test('the request journal names each request the portal answered, and who made it', async ({ page, emulator }) => {
  const since = new Date(Date.now() - 1000).toISOString();
  await page.goto('/recovery-services');
  await expect(page.getByRole('navigation', { name: 'Services' })).toBeVisible();
  const { requests } = await emulator.requests(since);
  expect(requests).toContainEqual(
    expect.objectContaining({ method: 'GET', path: '/recovery-services', status: 200, user: emulator.account.email }),
  );
});
