import { expect, test } from '@playwright/test';

test('the health check answers ok once the database is migrated', async ({ request }) => {
  const response = await request.get('/api/health');
  expect(response.status()).toBe(200);
  expect(await response.json()).toEqual({ status: 'ok' });
});
