import { expect, test } from '@playwright/test';

test('the health check answers ok once the database is migrated', async ({ request }) => {
  const response = await request.get('/api/health');
  expect(response.status()).toBe(200);
  expect(await response.json()).toEqual({ status: 'ok' });
});

test('outside emulator mode there is no control API: /_emulator/ is not found', async ({ request }) => {
  for (const [method, path] of [
    ['GET', '/_emulator/clock'],
    ['POST', '/_emulator/reset'],
    ['GET', '/api/emulator/clock'],
  ] as const) {
    const response = await request.fetch(path, {
      method,
      headers: { 'x-portal-emulator-control': '1' },
      maxRedirects: 0,
    });
    expect(response.status(), `${method} ${path}`).toBe(404);
  }
  // The vaults are all still there: nothing was reset.
  const health = await request.get('/api/health');
  expect(health.status()).toBe(200);
});
