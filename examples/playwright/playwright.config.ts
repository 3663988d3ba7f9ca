/**
 * A Playwright suite against the portal in emulator mode: the `webServer` starts `npm run emulator` (in-memory, a known
 * admin, provisioning in 0 s, the control API under /_emulator/), and every worker gets a subscription of its own.
 * Run it from the repository with `npx playwright test -c examples/playwright` (after `npm run build`).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { defineConfig, devices } from '@playwright/test';

const port = process.env.EMULATOR_PORT ?? '3317';
export const baseURL = `http://localhost:${port}`;

// This machine's Chromium when Playwright's own browsers are not installed (CI installs the distribution's package).
const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

export default defineConfig({
  testDir: './tests',
  fullyParallel: true,
  workers: 2,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: [['list']],
  outputDir: path.join(import.meta.dirname, 'test-results'),
  use: {
    baseURL,
    ...devices['Desktop Chrome'],
    launchOptions: chromium ? { executablePath: chromium, args: ['--no-sandbox', '--disable-gpu'] } : {},
  },
  webServer: {
    command: 'npm run emulator',
    cwd: path.join(import.meta.dirname, '..', '..'),
    url: `${baseURL}/api/health`,
    timeout: 120_000,
    reuseExistingServer: !process.env.CI,
    // The emulator keeps its data in memory whatever DATABASE_URL this shell has.
    env: { PORT: port, NEXT_TELEMETRY_DISABLED: '1' },
  },
});
