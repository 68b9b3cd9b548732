// Signing in through the sign-in page, as a person would, rather than planting a session cookie: the
// sign-in page is part of what the end-to-end tests cover.

import type { Page } from 'playwright-core';

/** The password the e2e tests give each user they create. */
export const e2ePassword = (username: string): string => `${username}-password-e2e`;

/**
 * Opens Confer at `baseUrl`, signs `username` in with `password` (by default {@link e2ePassword}) and
 * waits until the signed-in shell is on screen (its Sign out button).
 */
export async function signIn(
  page: Page,
  baseUrl: string,
  username: string,
  password: string = e2ePassword(username),
): Promise<void> {
  await page.goto(`${baseUrl}/`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}
