import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defineConfig, devices } from '@playwright/test';

// The e2e run gets a fresh database: the one DATABASE_URL names (scripts/test.sh creates a new one), or a new
// embedded PGlite in a fresh data directory. Workers re-read this file, so the choice is made once and inherited.
process.env.E2E_PORT ??= '3217';
process.env.E2E_DATA_DIR ??= mkdtempSync(path.join(os.tmpdir(), 'portal-e2e-'));
export const e2eAdmin = { email: 'admin@example.com', password: 'correct-horse-battery-staple' };

const systemChromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const chromiumLaunch = {
  executablePath: process.env.CHROMIUM_PATH ?? systemChromium,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
};

export default defineConfig({
  testDir: './e2e',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: [['list']],
  outputDir: 'test-results',
  use: {
    baseURL: `http://localhost:${process.env.E2E_PORT}`,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  projects: [
    {
      name: 'chromium',
      testIgnore: /vault-limit\.spec/,
      use: {
        ...devices['Desktop Chrome'],
        viewport: { width: 1366, height: 800 },
        launchOptions: chromiumLaunch,
      },
    },
    {
      // Fills the admin's subscription, so it runs last.
      name: 'limits',
      testMatch: /vault-limit\.spec/,
      dependencies: ['chromium'],
      use: { ...devices['Desktop Chrome'], viewport: { width: 1366, height: 800 }, launchOptions: chromiumLaunch },
    },
  ],
  webServer: {
    command: 'npm start',
    url: `http://localhost:${process.env.E2E_PORT}/api/health`,
    timeout: 240_000,
    reuseExistingServer: false,
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      PORT: process.env.E2E_PORT,
      PORTAL_DATA_DIR: process.env.E2E_DATA_DIR,
      PORTAL_ADMIN_EMAIL: e2eAdmin.email,
      PORTAL_ADMIN_PASSWORD: e2eAdmin.password,
      VAULT_PROVISIONING_SECONDS: '2',
      VAULT_PROVISIONING_FAIL_NAMES: 'fail-vault',
      // A second folder as the secondary region's store: Geo-Redundant vaults' packs are copied there
      // (e2e/geo-redundancy.spec.ts).
      BACKUP_STORE_SECONDARY: `file://${path.join(process.env.E2E_DATA_DIR, 'secondary')}`,
      NEXT_TELEMETRY_DISABLED: '1',
    },
  },
});
