/**
 * Visits every screen in both themes: a full-page screenshot of each under
 * test-results/screenshots/ (for a person to look at), and an axe scan whose
 * serious and critical violations are returned for the test to fail on.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from 'playwright-core';

export const SCREENSHOT_DIR = join(import.meta.dirname, '../../../test-results/screenshots');
export const SCREENS = ['tokens', 'ca', 'requests', 'certificates', 'crl', 'cvc', 'journal'] as const;

export interface Violation { screen: string; theme: string; id: string; impact: string; help: string; targets: string[] }

export async function setTheme(page: Page, theme: 'light' | 'dark'): Promise<void> {
  const toggle = page.getByRole('button', { name: /theme$/ });
  const pressed = (await toggle.getAttribute('aria-pressed')) === 'true';
  if (pressed !== (theme === 'dark')) await toggle.click();
}

export async function openScreen(page: Page, origin: string, screen: string): Promise<void> {
  await page.goto(`${origin}/#/${screen}`);
  await page.getByRole('heading', { level: 1 }).first().waitFor();
  // Let live queries and the first calls settle before looking.
  await page.waitForLoadState('networkidle').catch(() => {});
  await page.waitForTimeout(400);
}

export async function scanEveryScreen(page: Page, origin: string, prefix: string): Promise<Violation[]> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const violations: Violation[] = [];
  for (const theme of ['light', 'dark'] as const) {
    for (const screen of SCREENS) {
      await openScreen(page, origin, screen);
      await setTheme(page, theme);
      await page.waitForTimeout(150);
      await page.screenshot({ path: join(SCREENSHOT_DIR, `${prefix}-${screen}-${theme}.png`), fullPage: true });
      const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
      for (const v of result.violations) {
        if (v.impact === 'serious' || v.impact === 'critical') {
          violations.push({ screen, theme, id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => String(n.target)) });
        }
      }
    }
  }
  return violations;
}
