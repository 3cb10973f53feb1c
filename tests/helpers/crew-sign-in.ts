import type { Page } from 'playwright-core';

/**
 * The crew phone's first screen while nobody is signed in: email, password, one button. Resolves
 * once the app behind it (its screen tabs) is shown.
 */
export async function signInOnPhone(page: Page, email: string, password: string): Promise<void> {
  const form = page.getByRole('form', { name: 'Sign in' });
  await form.waitFor({ timeout: 30_000 });
  await form.getByLabel('Email').fill(email);
  await form.getByLabel('Password').fill(password);
  await form.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Screens' }).waitFor({ timeout: 30_000 });
}
