import { expect, test } from '../fixtures';

async function quickCreate(page: import('@playwright/test').Page, name: string) {
  await page.getByRole('toolbar', { name: 'Command bar' }).getByRole('button', { name: 'NEW' }).click();
  const dialog = page.getByRole('dialog', { name: 'New' });
  for (const choice of ['DATA SERVICES', 'RECOVERY SERVICES', 'BACKUP VAULT', 'QUICK CREATE']) {
    await dialog.getByRole('button', { name: choice }).click();
  }
  await dialog.getByLabel('Name').fill(name);
  await dialog.getByRole('button', { name: 'CREATE VAULT' }).click();
}

const notifications = (page: import('@playwright/test').Page) => page.getByRole('region', { name: 'Notifications' });

test('quick create makes a vault that is Active at once (provisioning takes 0 s in the emulator)', async ({
  page,
  emulator: _,
}) => {
  await page.goto('/recovery-services');
  await quickCreate(page, 'quick-vault');
  await expect(
    notifications(page).getByText("The backup vault 'quick-vault' has been successfully created."),
  ).toBeVisible();
  await page.reload();
  await expect(page.getByRole('row').filter({ hasText: 'quick-vault' })).toContainText('Active');
});

// Fault rules belong to the whole portal: the tests that set them run one after the other, in one worker.
test.describe('fault rules', () => {
  test.describe.configure({ mode: 'serial' });

  test('a fault rule fails one vault’s creation with its message, where the user sees it', async ({
    page,
    emulator,
  }) => {
    const name = `doomed-${test.info().workerIndex}-${Date.now().toString(36)}`;
    await emulator.faults([
      { operation: 'CreateVault', match: { name }, error: 'The region is out of capacity.', times: 1 },
    ]);
    await page.goto('/recovery-services');
    await quickCreate(page, name);
    await expect(
      notifications(page).getByText(`The backup vault '${name}' could not be created: The region is out of capacity.`),
    ).toBeVisible();
    expect((await emulator.listFaults()).rules).toEqual([
      expect.objectContaining({ operation: 'CreateVault', fired: 1 }),
    ]);
    await emulator.faults([]);
  });

  test('a delay rule holds a vault in Creating for as long as it says', async ({ page, emulator }) => {
    const name = `slow-${test.info().workerIndex}-${Date.now().toString(36)}`;
    await emulator.faults([{ operation: 'CreateVault', match: { name }, delayMs: 4000 }]);
    await page.goto('/recovery-services');
    await quickCreate(page, name);
    await expect(page.getByRole('row').filter({ hasText: name })).toContainText('Creating');
    await expect(
      notifications(page).getByText(`The backup vault '${name}' has been successfully created.`),
    ).toBeVisible({
      timeout: 20_000,
    });
    await emulator.faults([]);
  });
});
