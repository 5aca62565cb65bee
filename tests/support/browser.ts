import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { testServices } from './test-services';

/**
 * Adds the page's Content-Security-Policy violations (Chromium reports each as a console error,
 * "Refused to … because it violates the following Content Security Policy directive") to `sink`,
 * the list a browser test already expects to stay empty.
 */
export function collectCspViolations(page: Page, sink: string[]): void {
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) sink.push(`CSP: ${message.text()}`);
  });
}

interface PageDocument {
  document: { querySelector(selector: string): { textContent: string | null } | null };
}

/** How long a browser test waits for a page to show something (generous: the suite runs on busy machines). */
export const PAGE_WAIT_MS = 15_000;

/** Waits until the element's text contains `text`; on time-out the error says what it reads instead. */
export async function waitForText(page: Page, selector: string, text: string, timeout = PAGE_WAIT_MS): Promise<void> {
  try {
    await page.waitForFunction(
      ([sel, want]) => ((globalThis as unknown as PageDocument).document.querySelector(sel)?.textContent ?? '').includes(want),
      [selector, text] as const,
      { timeout },
    );
  } catch (e) {
    const actual = await page.evaluate((sel) => (globalThis as unknown as PageDocument).document.querySelector(sel)?.textContent?.trim() ?? '<missing>', selector);
    throw new Error(`"${selector}" should contain "${text}" but reads "${actual}": ${(e as Error).message}`);
  }
}

/** Full-page screenshots named `<prefix>-<name>.png` in SPP_E2E_SCREENSHOTS, when that is set (for looking at a run). */
export function screenshots(prefix: string): (page: Page, name: string) => Promise<void> {
  return async (page, name) => {
    const dir = process.env.SPP_E2E_SCREENSHOTS;
    if (dir) await page.screenshot({ path: join(dir, `${prefix}-${name}.png`), fullPage: true });
  };
}

/** Headless Chromium from Debian (or CHROMIUM_PATH, found by the global set-up), without its background traffic. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: testServices().chromiumPath || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** The viewport of the phone pages (owners, field staff). */
export const PHONE = { width: 375, height: 812 };

/** Fails unless the page is no wider than a phone (nothing scrolls sideways at 375 px). */
export async function expectFitsPhone(page: Page): Promise<void> {
  const width = await page.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth);
  expect(width).toBeLessThanOrEqual(PHONE.width);
}

export interface BrowserPages {
  /**
   * A page in a browser context of its own (Chinese locale): a phone unless `viewport` is wider
   * than one; `initScript` runs in the page before its own scripts. Its page errors and CSP
   * violations go to `errors`.
   */
  open(options?: { viewport?: { width: number; height: number }; initScript?: () => void }): Promise<Page>;
  /** Page errors and CSP violations so far: each test ends with none. */
  readonly errors: string[];
  /** Closes the pages opened so far (e.g. once the clock moved on and their sessions ran out). */
  closeAll(): Promise<void>;
}

/**
 * The browser of a test file, to call in its describe: Chromium launched before the tests, no
 * page error allowed after each, every page and the browser closed after all.
 */
export function browserPages(): BrowserPages {
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  const errors: string[] = [];
  const closeAll = async () => {
    for (const c of contexts.splice(0)) await c.close().catch(() => undefined);
  };
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterEach(() => {
    expect(errors).toEqual([]);
  });
  afterAll(async () => {
    await closeAll();
    await browser?.close().catch(() => undefined);
  }, 60_000);
  return {
    errors,
    closeAll,
    async open({ viewport = PHONE, initScript } = {}) {
      const phone = viewport.width < 600;
      const context = await browser!.newContext({ viewport, locale: 'zh-CN', isMobile: phone, hasTouch: phone });
      contexts.push(context);
      if (initScript) await context.addInitScript(initScript);
      const page = await context.newPage();
      page.setDefaultTimeout(PAGE_WAIT_MS);
      page.on('pageerror', (err) => errors.push(err.message));
      collectCspViolations(page, errors);
      return page;
    },
  };
}
