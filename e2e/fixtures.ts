import { test as base, expect, type Page } from '@playwright/test';
import { e2eAdmin } from '../playwright.config';

export { e2eAdmin, expect };

export async function signIn(page: Page, email = e2eAdmin.email, password = e2eAdmin.password) {
  await page.goto('/signin');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('navigation', { name: 'Services' })).toBeVisible();
}

/** A page already signed in as the admin. */
export const test = base.extend<{ portal: Page }>({
  portal: async ({ page }, use) => {
    await signIn(page);
    await use(page);
  },
});
