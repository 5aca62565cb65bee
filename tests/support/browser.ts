import type { Page } from 'playwright-core';

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
