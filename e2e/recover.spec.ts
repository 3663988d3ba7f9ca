import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page, Request } from '@playwright/test';
import { argon2id, createHMAC, createSHA256 } from 'hash-wasm';
import { type DownloadedAgent, downloadAndRegister, waitForLine } from './agent-files';
import { expect, test } from './fixtures';
import { createActiveVault } from './pages';

const VAULT = 'restore-vault';
const PASSPHRASE = 'a long and secret passphrase';
const MiB = 1024 * 1024;

test.describe.configure({ mode: 'serial' });

let machine: DownloadedAgent;
let folder: string;

/** The files of a ZIP that stores its entries (as client-zip does), read through its central directory. */
function unzipStored(zip: Buffer): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  let end = zip.length - 22;
  while (end >= 0 && zip.readUInt32LE(end) !== 0x06054b50) end--;
  let at = zip.readUInt32LE(end + 16);
  for (let i = 0; i < zip.readUInt16LE(end + 10); i++) {
    expect(zip.readUInt32LE(at)).toBe(0x02014b50);
    const size = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const skip = nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
    const name = zip.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    const local = zip.readUInt32LE(at + 42);
    const data = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    files.set(name, zip.subarray(data, data + size));
    at += 46 + skip;
  }
  return files;
}

/** Everything a page request carries: its address, its headers and its body. */
function describeRequest(request: Request): string {
  const body = request.postDataBuffer();
  return [request.url(), JSON.stringify(request.headers()), body ? body.toString('latin1') : ''].join('\n');
}

/** Forms a secret could travel in: as typed, URL-encoded, base64 (both alphabets) and hex. */
function encodings(secret: Buffer): string[] {
  return [
    secret.toString('base64'),
    secret.toString('base64url'),
    secret.toString('hex'),
    encodeURIComponent(secret.toString('base64')),
  ];
}

/** JOBS rows of Restore jobs, newest first. */
function restoreJobs(page: Page) {
  return page.getByRole('row').filter({ has: page.getByRole('cell', { name: 'Restore', exact: true }) });
}

function itemRow(page: Page) {
  return page.getByRole('row').filter({ hasText: folder });
}

function fileRow(page: Page, name: string) {
  return page.getByRole('treegrid', { name: 'Files' }).getByRole('row').filter({ hasText: name });
}

async function download(page: Page, rowName: string): Promise<{ name: string; data: Buffer }> {
  await fileRow(page, rowName).click();
  const [file] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('toolbar', { name: 'Command bar' }).getByRole('button', { name: 'DOWNLOAD' }).click(),
  ]);
  const saved = path.join(machine.workDir, `download-${Date.now()}`);
  await file.saveAs(saved);
  return { name: file.suggestedFilename(), data: await readFile(saved) };
}

async function openRecoveryPoint(page: Page) {
  await page.getByRole('navigation', { name: 'Vault' }).getByRole('link', { name: 'PROTECTED ITEMS' }).click();
  // The vault may open on another tab with rows of its own: wait for PROTECTED ITEMS' table.
  await expect(page.getByRole('columnheader', { name: 'RECOVERY POINTS' })).toBeVisible();
  await itemRow(page).getByRole('radio').check();
  await page.getByRole('toolbar', { name: 'Command bar' }).getByRole('button', { name: 'RESTORE' }).click();
  await expect(page.getByRole('heading', { name: 'Select a recovery point' })).toBeVisible();
}

test('a new user backs up a folder, browses a recovery point in the browser, downloads a file and a folder, and recovers with the agent', async ({
  portal: page,
}) => {
  test.setTimeout(180_000);
  await page.goto('/recovery-services');
  await createActiveVault(page, VAULT);
  await page.getByRole('link', { name: VAULT, exact: true }).click();
  machine = await downloadAndRegister(page, 'RESTORESERVER');

  folder = path.join(machine.workDir, 'Documents');
  await mkdir(path.join(folder, 'reports', 'empty'), { recursive: true });
  const photo = randomBytes(3 * MiB);
  await writeFile(path.join(folder, 'photo.raw'), photo);
  for (let i = 0; i < 20; i++) {
    await writeFile(path.join(folder, 'reports', `report-${i}.txt`), `Quarterly report ${i}\n`.repeat(200));
  }
  await symlink('report-19.txt', path.join(folder, 'reports', 'latest'));
  // A folder larger than the page may hold at once, downloaded below as it streams.
  await mkdir(path.join(folder, 'large'));
  const large = [randomBytes(32 * MiB), randomBytes(32 * MiB)];
  for (const [i, data] of large.entries()) await writeFile(path.join(folder, 'large', `part-${i}.bin`), data);
  expect((await machine.run('protect', '--path', folder)).code).toBe(0);
  const backedUp = await machine.run('backup');
  expect(backedUp.stderr).toBe('');

  // From here on, every request the page sends is kept, to prove nothing derived from the passphrase is among them.
  const sent: Request[] = [];
  page.on('request', (request) => sent.push(request));

  await openRecoveryPoint(page);
  const calendar = page.getByRole('grid', { name: 'Recovery point dates' });
  await expect(calendar).toBeVisible();
  const today = new Date();
  const selectedDay = calendar.locator('[aria-selected="true"]');
  await expect(selectedDay).toHaveAttribute('data-day', today.toLocaleDateString('en-CA'));
  await expect(selectedDay.getByRole('button')).toBeEnabled();
  await expect(selectedDay).toHaveClass(/font-bold/);
  await expect(page.getByRole('button', { name: 'Previous month' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Next month' })).toBeVisible();
  // Only dates with points are enabled: yesterday (or the day after, early in a month) has none.
  const other = new Date(today.getTime() + (today.getDate() === 1 ? 1 : -1) * 86_400_000);
  await expect(calendar.locator(`[data-day="${other.toLocaleDateString('en-CA')}"] button`)).toBeDisabled();

  const time = page.getByLabel('Time');
  await expect(time.getByRole('option')).toHaveCount(1);
  await time.selectOption({ index: 0 });

  await page.getByLabel('Passphrase').fill('not the right passphrase');
  await page.getByRole('button', { name: 'BROWSE' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'The passphrase is incorrect.' })).toBeVisible();

  await page.getByLabel('Passphrase').fill(PASSPHRASE);
  await page.getByRole('button', { name: 'BROWSE' }).click();
  const files = page.getByRole('treegrid', { name: 'Files' });
  await expect(files).toBeVisible({ timeout: 30_000 });
  for (const header of ['NAME', 'SIZE', 'MODIFIED']) {
    await expect(files.getByRole('columnheader', { name: header })).toBeVisible();
  }
  await expect(fileRow(page, 'photo.raw')).toBeVisible();
  const reports = fileRow(page, 'reports/');
  await expect(reports).toHaveAttribute('aria-expanded', 'false');
  await reports.dblclick();
  await expect(reports).toHaveAttribute('aria-expanded', 'true');
  await expect(fileRow(page, 'report-7.txt')).toBeVisible();
  await expect(fileRow(page, 'empty/')).toBeVisible();

  const report = await download(page, 'report-7.txt');
  expect(report.name).toBe('report-7.txt');
  expect(report.data.toString()).toBe('Quarterly report 7\n'.repeat(200));
  const raw = await download(page, 'photo.raw');
  expect(raw.name).toBe('photo.raw');
  expect(raw.data.equals(photo)).toBe(true);
  const zip = await download(page, 'reports/');
  expect(zip.name).toBe('reports.zip');
  const zipped = unzipStored(zip.data);
  expect(zipped.has('reports/empty/')).toBe(true);
  for (let i = 0; i < 20; i++) {
    expect(zipped.get(`reports/report-${i}.txt`)?.toString()).toBe(`Quarterly report ${i}\n`.repeat(200));
  }
  // A link is in the ZIP as `zip --symlinks` stores one, and unzip makes it a link again.
  expect(zipped.get('reports/latest')?.toString()).toBe('report-19.txt');
  const unzipped = await mkdtemp(path.join(os.tmpdir(), 'recover-zip-'));
  await writeFile(path.join(unzipped, 'reports.zip'), zip.data);
  execFileSync('unzip', ['-q', 'reports.zip'], { cwd: unzipped });
  expect((await lstat(path.join(unzipped, 'reports', 'latest'))).isSymbolicLink()).toBe(true);
  expect(await readlink(path.join(unzipped, 'reports', 'latest'))).toBe('report-19.txt');
  expect(await readFile(path.join(unzipped, 'reports', 'report-4.txt'), 'utf8')).toBe(
    'Quarterly report 4\n'.repeat(200),
  );

  // A large folder streams as an ordinary download: the download begins before its content is read (most of its
  // objects are fetched after Playwright saw it start), and the page's live JavaScript memory, array buffers included,
  // stays far below the folder's 64 MiB.
  const cdp = await page.context().newCDPSession(page);
  const liveMemory = async () => {
    await cdp.send('HeapProfiler.collectGarbage');
    const usage = await cdp.send('Runtime.getHeapUsage');
    return usage.usedSize + usage.backingStorageSize;
  };
  await fileRow(page, 'large/').click();
  const baseline = await liveMemory();
  let peak = baseline;
  let measuring = true;
  const sampling = (async () => {
    while (measuring) {
      peak = Math.max(peak, await liveMemory());
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  let objectReads = 0;
  const countReads = (request: Request) => {
    if (/\/objects\/[0-9a-f]{64}$/.test(request.url())) objectReads++;
  };
  page.on('request', countReads);
  const [largeDownload] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('toolbar', { name: 'Command bar' }).getByRole('button', { name: 'DOWNLOAD' }).click(),
  ]);
  const readsBeforeStart = objectReads;
  const largeSaved = path.join(machine.workDir, 'large.zip');
  await largeDownload.saveAs(largeSaved);
  measuring = false;
  await sampling;
  page.off('request', countReads);
  await expect(page.getByRole('status').filter({ hasText: 'Downloaded large.zip.' })).toBeVisible();
  expect(largeDownload.suggestedFilename()).toBe('large.zip');
  const largeZipped = unzipStored(await readFile(largeSaved));
  for (const [i, data] of large.entries()) expect(largeZipped.get(`large/part-${i}.bin`)?.equals(data)).toBe(true);
  // 64 MiB in chunks of about 512 KiB: over a hundred reads, nearly all once the download had begun.
  expect(objectReads).toBeGreaterThan(100);
  expect(readsBeforeStart).toBeLessThan(objectReads / 4);
  console.log(
    `large.zip: ${objectReads} reads, ${readsBeforeStart} before the download began; live memory ${(baseline / MiB).toFixed(1)} MiB, at most ${(peak / MiB).toFixed(1)} MiB`,
  );
  expect(peak - baseline).toBeLessThan(24 * MiB);

  // Cancelling the download in the browser stops the reading in the page.
  const downloadButton = page.getByRole('toolbar', { name: 'Command bar' }).getByRole('button', { name: 'DOWNLOAD' });
  const [cancelled] = await Promise.all([page.waitForEvent('download'), downloadButton.click()]);
  await cancelled.cancel();
  expect(await cancelled.failure()).toBe('canceled');
  await expect(page.getByRole('status').filter({ hasText: 'The download of large.zip was cancelled.' })).toBeVisible();

  // A chunk that does not open fails the download in the browser, and the page says so.
  let reads = 0;
  const objects = /\/objects\/[0-9a-f]{64}$/;
  await page.route(objects, (route) => (++reads === 6 ? route.fulfill({ body: randomBytes(4096) }) : route.continue()));
  const [failed] = await Promise.all([page.waitForEvent('download'), downloadButton.click()]);
  expect(await failed.failure()).not.toBeNull();
  await expect(page.getByRole('alert').filter({ hasText: 'The download of large.zip failed' })).toBeVisible();
  await page.unroute(objects);

  // Privacy: the passphrase, the key derived from it, the vault key it opens and the keys derived from that appear
  // in no request the page sent during the whole browse-and-download.
  const state = JSON.parse(await readFile(path.join(machine.stateDir, 'state.json'), 'utf8'));
  const wrapped = JSON.parse(state.wrappedKey);
  const passphraseKey = Buffer.from(
    await argon2id({
      password: PASSPHRASE,
      salt: Buffer.from(wrapped.kdf.salt, 'base64'),
      iterations: wrapped.kdf.iterations,
      parallelism: wrapped.kdf.parallelism,
      memorySize: wrapped.kdf.memoryKiB,
      hashLength: 32,
      outputType: 'binary',
    }),
  );
  const vaultKey = Buffer.from(state.vaultKey, 'base64');
  const hmac = async (key: Uint8Array, data: Uint8Array) => {
    const hasher = await createHMAC(createSHA256(), key);
    hasher.update(data);
    return Buffer.from(hasher.digest('binary'));
  };
  const prk = await hmac(new Uint8Array(32), vaultKey);
  const derived = await Promise.all(
    ['rsv-backup v1 chunk-id', 'rsv-backup v1 encryption'].map((info) =>
      hmac(prk, Buffer.concat([Buffer.from(info), Buffer.of(1)])),
    ),
  );
  const secrets = [
    PASSPHRASE,
    encodeURIComponent(PASSPHRASE),
    Buffer.from(PASSPHRASE).toString('base64'),
    ...[passphraseKey, vaultKey, ...derived].flatMap(encodings),
  ];
  expect(sent.length).toBeGreaterThan(10);
  for (const request of sent) {
    const text = describeRequest(request);
    for (const secret of secrets) expect(text.includes(secret), `${request.url()} carries a secret`).toBe(false);
  }
  // The encrypted reads went through the guarded route handlers, not anything else.
  expect(
    sent.some((r) => /\/api\/vaults\/[^/]+\/items\/[^/]+\/points\/[^/]+\/objects\/[0-9a-f]{64}$/.test(r.url())),
  ).toBe(true);

  // The agent recovers the same folder byte for byte, as a Restore job.
  const target = path.join(machine.workDir, 'Recovered');
  const recovered = await machine.run('recover', '--path', folder, '--target', target);
  expect(recovered.stderr).toBe('');
  expect(recovered.stdout.trim()).toBe('Recovery completed.');
  expect((await readFile(path.join(target, 'photo.raw'))).equals(photo)).toBe(true);
  expect((await readdir(path.join(target, 'reports'))).length).toBe(22);
  expect(await readlink(path.join(target, 'reports', 'latest'))).toBe('report-19.txt');
  expect((await stat(path.join(target, 'reports', 'empty'))).isDirectory()).toBe(true);
  // Times are kept to the millisecond.
  expect(Math.floor((await stat(path.join(target, 'photo.raw'))).mtimeMs)).toBe(
    Math.floor((await stat(path.join(folder, 'photo.raw'))).mtimeMs),
  );
  await page.getByRole('navigation', { name: 'Vault' }).getByRole('link', { name: 'JOBS' }).click();
  await expect(restoreJobs(page).first()).toContainText('Completed');
});

test('RECOVER TO SERVER queues a restore that the agent running as a service carries out', async ({ portal: page }) => {
  test.setTimeout(120_000);
  const service = machine.spawn('run');
  try {
    await waitForLine(service, (line) => line.includes('Backup service started'));
    await page.goto('/recovery-services');
    await page.getByRole('link', { name: VAULT, exact: true }).click();
    await openRecoveryPoint(page);
    await page.getByLabel('Passphrase').fill(PASSPHRASE);
    await page.getByRole('button', { name: 'BROWSE' }).click();
    await fileRow(page, 'reports/').click();
    await page.getByRole('toolbar', { name: 'Command bar' }).getByRole('button', { name: 'RECOVER TO SERVER' }).click();
    const dialog = page.getByRole('dialog', { name: 'Recover to server' });
    await dialog.getByLabel('Server').selectOption({ label: 'RESTORESERVER' });
    const target = path.join(machine.workDir, 'FromThePortal');
    await dialog.getByLabel('Folder').fill(target);
    await dialog.getByRole('button', { name: 'RECOVER' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'A restore of' })).toBeVisible();
    await waitForLine(service, (line) => line.includes('Recovering'));
    await expect
      .poll(async () => (await readdir(path.join(target, 'reports')).catch(() => [])).length, { timeout: 30_000 })
      .toBe(22);
    expect(await readFile(path.join(target, 'reports', 'report-3.txt'), 'utf8')).toBe(
      'Quarterly report 3\n'.repeat(200),
    );
    await page.getByRole('navigation', { name: 'Vault' }).getByRole('link', { name: 'JOBS' }).click();
    await expect(restoreJobs(page)).toHaveCount(2);
    await expect(restoreJobs(page).first()).toContainText('Completed', { timeout: 20_000 });
  } finally {
    service.kill('SIGTERM');
  }
});
