// The admin page's HTML (issue 17): the three questions at a glance, engagement, outcome and
// conversion, then the topics and the per-day tables, with a window selector (7 / 28 / 90 days or
// a custom range) and each table as CSV. One self-contained document: no script, no external asset
// (the icon is an empty data: URL, or browsers ask /favicon.ico, a 404), charts drawn here as SVG
// (svg.ts), so it works offline under the admin's CSP. Mobile first: 390 px wide without sideways
// scrolling. Pure.
import { adminBanner } from './admin-banner.ts';
import { everyDay } from './days.ts';
import { conversionSection } from './page-conversion.ts';
import { engagementSection } from './page-engagement.ts';
import { outcomeSection } from './page-outcome.ts';
import { PAGE_CSS } from './page-style.ts';
import { tableHtml } from './page-table.ts';
import type { Report } from './report.ts';
import { reportTitle } from './report-text.ts';
import { esc } from './svg.ts';
import { dailyTables, topicTable } from './tables.ts';

export interface PageLinks {
  /** URL of the JSON report for the same window. */
  json: string;
  /** URL of this page for another number of days. */
  days: (n: number) => string;
  /** URL of one table's CSV for the same window. */
  csv?: (id: string) => string;
  /** The custom range form: where it is sent, and the token to carry (when it came in the URL). */
  form?: { action: string; token?: string | undefined };
}

export function renderAdminPage(report: Report, links: PageLinks): string {
  const days = everyDay(report);
  const csv = (id: string) => links.csv?.(id);
  const windows = [7, 28, 90]
    .map(
      (n) =>
        `<a href="${esc(links.days(n))}"${n === report.days ? ' aria-current="page"' : ''}>${n} days</a>`,
    )
    .join('');
  const form = links.form
    ? `<form method="get" action="${esc(links.form.action)}" class="range">
<label>from <input type="date" name="from" value="${report.from}" required></label>
<label>to <input type="date" name="to" value="${report.to}" required></label>
${links.form.token === undefined ? '' : `<input type="hidden" name="token" value="${esc(links.form.token)}">`}<button>Show</button></form>`
    : '';
  const topics = topicTable(report);
  const empty = report.emptyDays.reduce((s, r) => s + r.days, 0);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer"><title>USSD gateway: report</title>
<link rel="icon" href="data:,">
<style>${PAGE_CSS}</style></head><body>
${adminBanner(report)}
<header><h1>${esc(reportTitle(report))}</h1>
<nav class="windows">${windows}<a href="${esc(links.json)}">JSON</a></nav>${form}
<p class="note">${report.perDay.length} of ${report.days} days with activity${empty > 0 ? `; ${empty} with nothing logged, drawn as points on the axis` : ''}. Tap or hover a mark for its exact figure.</p></header>
<main>
${engagementSection(report, days, csv)}
${outcomeSection(report, days, csv)}
${conversionSection(report, days, csv)}
<section id="topics"><h2>What do they ask?</h2>
${tableHtml(topics, { csv: csv(topics.id), shade: [4] })}
<p class="note">Top keywords: ${report.topKeywords.map((k) => `${esc(k.text)} (${k.count})`).join(', ') || 'none yet'}.</p>
</section>
<section id="daily"><h2>Per day</h2>
${dailyTables(report)
  .filter((t) => t.id !== 'funnel-daily')
  .map((t) => tableHtml(t, { csv: csv(t.id), collapsed: true }))
  .join('\n')}
</section>
</main></body></html>
`;
}
