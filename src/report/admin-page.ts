// The admin page's HTML: the report's figures (the same sections as the terminal report) and small
// inline-SVG bar charts where a person would rather look than read: daily users, helpful rate,
// conversion. One self-contained document: no scripts, no external assets (the icon is an empty
// data: URL, or browsers ask /favicon.ico, a 404), no build step. Pure.
import { adminBanner } from './admin-banner.ts';
import { everyDay } from './days.ts';
import { conversion } from './funnel-text.ts';
import type { DayFigures, Report } from './report.ts';
import { reportTitle } from './report-text.ts';
import { allTables } from './tables.ts';

export interface PageLinks {
  /** URL of the JSON report for the same window. */
  json: string;
  /** URL of this page for another number of days. */
  days: (n: number) => string;
}

export function renderAdminPage(report: Report, links: PageLinks): string {
  const days = everyDay(report);
  const charts = [
    barChart(
      'Daily users (dark: new, light: returning)',
      days,
      (d) => [d.newUsers, d.returningUsers],
      (d) => `${d.day}: ${d.dialers} dialers, ${d.newUsers} new`,
      null,
    ),
    barChart(
      'Helpful rate',
      days,
      (d) => [d.helpfulRate],
      (d) => `${d.day}: ${pct(d.helpfulRate)} of ${d.rated} rated`,
      1,
    ),
    barChart(
      'Conversion (phones paid, or accepted if intent, / phones offered)',
      days,
      (d) => [d.conversionRate],
      (d) => `${d.day}: ${conversion(d)} of ${d.offered} phones offered`,
      1,
    ),
  ];
  const tables = allTables(report).map(
    (t) => `<h2>${esc(t.title)}</h2>
<table><thead><tr>${t.head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>
${t.rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('\n')}
</tbody>${t.foot ? `<tfoot><tr>${t.foot.map((c) => `<th>${esc(c)}</th>`).join('')}</tr></tfoot>` : ''}</table>`,
  );
  const topics = (title: string, items: Report['topKeywords']) =>
    `<h2>${esc(title)}</h2><ol>${items.map((i) => `<li>${esc(i.text)} <small>(${i.count})</small></li>`).join('') || '<li>none yet</li>'}</ol>`;
  const windows = [7, 28, 90].map((n) => `<a href="${esc(links.days(n))}">${n} days</a>`).join(' · ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer"><title>USSD gateway: report</title>
<link rel="icon" href="data:,">
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#222}
table{border-collapse:collapse;margin-bottom:1rem}td,th{padding:.2rem .6rem;text-align:right;border-bottom:1px solid #ddd}
td:first-child,th:first-child{text-align:left}tfoot th{border-top:2px solid #999}
.charts{display:flex;flex-wrap:wrap;gap:1.5rem}figure{margin:0}figcaption{font-weight:600}
</style></head><body>
${adminBanner(report)}
<h1>${esc(reportTitle(report))}</h1>
<p>${windows} · <a href="${esc(links.json)}">JSON</a></p>
<div class="charts">${charts.join('\n')}</div>
${tables.join('\n')}
${topics('Top keywords', report.topKeywords)}
</body></html>
`;
}

const W = 360;
const H = 120;

/** Bars per day; a day's stack is drawn bottom-up. `max` null scales to the largest stack. */
function barChart(
  title: string,
  days: readonly DayFigures[],
  stack: (d: DayFigures) => (number | null)[],
  tip: (d: DayFigures) => string,
  max: number | null,
): string {
  const top = max ?? Math.max(1, ...days.map((d) => stack(d).reduce<number>((s, v) => s + (v ?? 0), 0)));
  const slot = W / Math.max(1, days.length);
  const bars = days.map((d, i) => {
    let y = H;
    const rects = stack(d).map((v, k) => {
      if (v === null) return '';
      const h = (v / top) * H;
      y -= h;
      const fill = k === 0 ? '#2a6f97' : '#a9cce3';
      return `<rect x="${(i * slot + 1).toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(1, slot - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="${fill}"/>`;
    });
    return `<g><title>${esc(tip(d))}</title>${rects.join('')}</g>`;
  });
  const scale = max === null ? String(top) : pct(max);
  return `<figure><figcaption>${esc(title)}</figcaption>
<svg xmlns="http://www.w3.org/2000/svg" width="${W + 40}" height="${H + 20}" viewBox="0 -2 ${W + 40} ${H + 20}" role="img" aria-label="${esc(title)}">
<line x1="0" y1="${H}" x2="${W}" y2="${H}" stroke="#999"/>${bars.join('')}
<text x="${W + 4}" y="10" font-size="10">${esc(scale)}</text>
<text x="0" y="${H + 14}" font-size="10">${esc(days[0]?.day ?? '')}</text>
<text x="${W}" y="${H + 14}" font-size="10" text-anchor="end">${esc(days.at(-1)?.day ?? '')}</text>
</svg></figure>`;
}

function pct(r: number | null): string {
  return r === null ? '-' : `${Math.round(r * 100)}%`;
}

function esc(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}
