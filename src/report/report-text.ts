// The report as plain text for a terminal: the per-day tables of the three questions the MVP asks
// (engage, help, pay), runs of days with nothing logged collapsed to one line, then the window's
// tables (cohorts, session ends, answers by source, failures, delivery, topics) from tables.ts,
// the same cells as the admin page and its CSV. Pure.

import { emptyRunText } from './days.ts';
import { deliveryText } from './delivery.ts';
import { failureLine } from './funnel-text.ts';
import type { KnowledgeFigures } from './knowledge.ts';
import type { Report } from './report.ts';
import {
  answerTables,
  cohortTable,
  dailyTables,
  pct,
  sessionEndTables,
  type Table,
  topicTable,
} from './tables.ts';

export { SECTIONS } from './tables.ts';

export function reportTitle(report: Report): string {
  return `Interaction report ${report.from} .. ${report.to} (${report.days} days, UTC${formatOffset(report.tzOffsetMinutes)})`;
}

/**
 * The warning a report carries when its log was written with the development PHONE_HASH_SECRET
 * (issue 15), or null. Shared by the terminal report and the admin page's banner.
 */
export function devSecretWarning(report: Report): string | null {
  if (report.devPhoneHashSecretSince === null) return null;
  const since = new Date(report.devPhoneHashSecretSince).toISOString().slice(0, 10);
  return (
    `WARNING: this log was written with the built-in development PHONE_HASH_SECRET since ${since}: ` +
    'its phone hashes can be reversed to phone numbers. Set PHONE_HASH_SECRET and start a new log file.'
  );
}

export function formatReportText(report: Report): string {
  const warning = devSecretWarning(report);
  const out = [
    ...(warning === null ? [] : [warning, '']),
    reportTitle(report),
    ...(report.perDay.length === 0 ? ['', 'Nothing was logged in this window.'] : []),
    ...dailyTables(report).flatMap((t) => ['', t.title, ...table(t, report)]),
    `Failed payments by reason: ${failureLine(report.total)}`,
    '',
    ...[
      cohortTable(report),
      ...sessionEndTables(report),
      ...answerTables(report).filter((t) => t.id !== 'delivery'),
    ].flatMap((t) => [t.title, ...table(t, report), '']),
    ...deliveryText(report.delivery),
    '',
    ...((t: Table) => [t.title, ...(t.rows.length === 0 ? ['  (none)'] : table(t, report))])(
      topicTable(report),
    ),
    '',
    'Top keywords',
    ...list(report.topKeywords),
    '',
    ...knowledgeLines(report.knowledge),
  ];
  return `${out.join('\n')}\n`;
}

/**
 * An aligned table. A per-day table gets, between its rows, one line per run of days with nothing
 * logged, so no row of zeros is printed.
 */
function table(t: Table, report: Report): string[] {
  const all = [t.head, ...t.rows, ...(t.foot ? [t.foot] : [])];
  const widths = t.head.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  const body: string[] = [];
  const runs = t.days ? [...report.emptyDays] : [];
  const gap = (before: string | null) => {
    while (runs.length > 0 && (before === null || (runs[0]?.from ?? '') < before)) {
      const r = runs.shift();
      if (r) body.push(`  (nothing logged: ${emptyRunText(r)}${r.days > 1 ? `, ${r.days} days` : ''})`);
    }
  };
  t.rows.forEach((r, i) => {
    gap(t.days?.[i] ?? null);
    body.push(line(r));
  });
  gap(null);
  return [line(t.head), rule, ...body, ...(t.foot ? [rule, line(t.foot)] : [])];
}

function list(items: readonly { text: string; count: number }[]): string[] {
  if (items.length === 0) return ['  (none)'];
  const w = Math.max(...items.map((i) => String(i.count).length));
  return items.map((i) => `  ${String(i.count).padStart(w)}  ${i.text}`);
}

function knowledgeLines(k: KnowledgeFigures): string[] {
  return [
    `Knowledge base: ${k.grounded} of ${k.asked} questions to the model had passages (${pct(k.asked === 0 ? null : k.grounded / k.asked)})`,
    'Passages used most',
    ...list(k.topPassages),
    '',
    'Questions no passage covered (write passages for these)',
    ...list(k.uncovered),
  ];
}

function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const m = Math.abs(minutes);
  return `${sign}${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}
