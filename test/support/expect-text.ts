// Waiting for what a page shows, for the browser tests: the text of a locator, generously (a shared machine).
import type { Locator } from 'playwright-core';
import { sleep } from './teardown';

/** Waits for a locator's text to match; fails naming the last text seen. */
export async function expectText(locator: Locator, expected: string | RegExp, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: string | null = null;
  for (;;) {
    last = await locator.textContent({ timeout: Math.max(1, deadline - Date.now()) }).catch(() => null);
    const ok = last !== null && (typeof expected === 'string' ? last.includes(expected) : expected.test(last));
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`expected ${String(expected)} in ${locator.toString()}, last text: ${JSON.stringify(last)}`);
    await sleep(100);
  }
}
