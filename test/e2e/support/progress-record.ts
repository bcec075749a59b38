/**
 * Every state the page's progress bars pass through, recorded in the page
 * itself (a MutationObserver), so a test can say afterwards what a person
 * saw even of states that lasted a few milliseconds.
 */
import type { Page } from 'playwright-core';

export interface ProgressSeen {
  readonly value: string | null;
  readonly label: string;
  /** Whether a Cancel button was offered with it. */
  readonly cancel: boolean;
}

export async function recordProgress(page: Page): Promise<void> {
  await page.evaluate(() => {
    const seen: { value: string | null; label: string; cancel: boolean }[] = [];
    (window as unknown as { progressSeen: typeof seen }).progressSeen = seen;
    new MutationObserver(() => {
      for (const bar of document.querySelectorAll('[role="progressbar"]')) {
        const box = bar.closest('[role="status"]');
        seen.push({ value: bar.getAttribute('aria-valuenow'), label: box?.textContent ?? '', cancel: [...(box?.querySelectorAll('button') ?? [])].some((b) => b.textContent === 'Cancel') });
      }
    }).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
  });
}

export function progressSeen(page: Page): Promise<ProgressSeen[]> {
  return page.evaluate(() => (window as unknown as { progressSeen: { value: string | null; label: string; cancel: boolean }[] }).progressSeen);
}
