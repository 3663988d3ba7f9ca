import pg from 'pg';
import { expect, test } from './fixtures';
import { createActiveVault, notifications } from './pages';

const VAULT = 'log-vault';

test.describe.configure({ mode: 'serial' });

test('the admin creates a vault and changes it; OPERATION LOGS shows who did what, filters, and says it is intact', async ({
  portal: page,
}) => {
  await page.goto('/recovery-services');
  await createActiveVault(page, VAULT);
  await page.getByRole('link', { name: VAULT, exact: true }).click();
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download vault credentials' }).click(),
  ]);
  expect(download.suggestedFilename()).toContain(VAULT);
  await page.getByRole('navigation', { name: 'Vault' }).getByRole('link', { name: 'CONFIGURE' }).click();
  await page
    .getByRole('radiogroup', { name: 'Storage replication' })
    .getByRole('radio', { name: /Locally Redundant/ })
    .check();
  await page.getByRole('toolbar', { name: 'Command bar' }).getByRole('button', { name: 'SAVE' }).click();
  await expect(
    notifications(page).getByText(`The storage replication of backup vault '${VAULT}' is now Locally Redundant.`),
  ).toBeVisible();

  await page
    .getByRole('navigation', { name: 'Services' })
    .getByRole('link', { name: /OPERATION LOGS/ })
    .click();
  await expect(page.getByRole('heading', { name: 'operation logs' })).toBeVisible();
  await expect(page.getByRole('status').filter({ hasText: 'The operation log is intact' })).toBeVisible();
  const rows = page.getByRole('row').filter({ hasText: VAULT });
  const row = (operation: string, status: string) => rows.filter({ hasText: operation }).filter({ hasText: status });
  for (const [operation, status] of [
    ['Create backup vault', 'Started'],
    ['Create backup vault', 'Succeeded'],
    ['Download vault credentials', 'Succeeded'],
    ['Configure backup vault', 'Succeeded'],
  ]) {
    await expect(row(operation!, status!).first()).toContainText('admin@example.com');
  }
  // Newest first: the configuration change is above the vault's creation.
  await expect(rows.first()).toContainText('Configure backup vault');
  const credentials = row('Download vault credentials', 'Succeeded').first();
  await credentials.getByText('Before and after').click();
  await expect(credentials.getByText('"current"').first()).toBeVisible();
  await page.screenshot({ path: 'test-results/screenshots/operation-logs.png' });

  const filters = page.getByRole('search', { name: 'Filter operation logs' });
  await filters.getByLabel('Category').selectOption('Credentials');
  await filters.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page).toHaveURL(/category=Credentials/);
  await expect(row('Download vault credentials', 'Succeeded')).toHaveCount(1);
  await expect(rows.filter({ hasText: 'Create backup vault' })).toHaveCount(0);

  await filters.getByRole('link', { name: 'Clear filters' }).click();
  await expect(page).toHaveURL(/\/operation-logs$/);
  await expect(filters.getByLabel('Category')).toHaveValue('');
  await filters.getByLabel('Search').fill('locally redundant');
  await filters.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page).toHaveURL(/q=locally/);
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText('Configure backup vault');
  await expect(page.getByRole('status').filter({ hasText: 'The operation log is intact' })).toBeVisible();
});

test('an entry changed behind the database is reported on the page as a break at that entry', async ({
  portal: page,
}) => {
  test.skip(!process.env.DATABASE_URL, 'needs the PostgreSQL server the portal runs on, as its superuser');
  const db = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await db.connect();
  const { rows } = await db.query(
    `select chain, seq, actor from operation_logs where operation = 'Download vault credentials' order by seq limit 1`,
  );
  const entry = rows[0] as { chain: string; seq: string; actor: string };
  // Someone who bypasses the database's rules: the superuser with triggers off.
  const setActor = async (actor: string) => {
    await db.query('set session_replication_role = replica');
    await db.query('update operation_logs set actor = $1 where chain = $2 and seq = $3', [
      actor,
      entry.chain,
      entry.seq,
    ]);
    await db.query('reset session_replication_role');
  };
  try {
    await setActor('mallory@example.com');
    await page.goto('/operation-logs');
    const alert = page.getByRole('alert').filter({ hasText: 'The operation log is broken' });
    await expect(alert).toContainText(`Subscription 'Free Trial': entry ${entry.seq} was changed.`);
    await page.screenshot({ path: 'test-results/screenshots/operation-logs-broken.png' });
    await setActor(entry.actor);
    await page.reload();
    await expect(page.getByRole('status').filter({ hasText: 'The operation log is intact' })).toBeVisible();
  } finally {
    await db.end();
  }
});
