// The admin page's warning banner (issue 15): shown when the log was written with the development
// PHONE_HASH_SECRET, whose phone hashes can be reversed. A small piece of its own, so the page
// around it can be rewritten without losing it. Pure.
import type { Report } from './report.ts';
import { devSecretWarning } from './report-text.ts';

/** The banner's HTML (with its style), or '' when there is nothing to warn of. */
export function adminBanner(report: Report): string {
  const warning = devSecretWarning(report);
  if (warning === null) return '';
  const text = warning.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<p class="warning" role="alert" style="background:#fde2e1;border:2px solid #b3261e;padding:.6rem;font-weight:600">${text}</p>`;
}
