// The report as plain text for a terminal: one aligned table per question the MVP asks (engage,
// help, pay), a day per row and the window's total last, then the most asked topics. Pure.

import { deliveryText } from './delivery.ts';
import { FUNNEL_COLUMNS, failureLine } from './funnel-text.ts';
import type { KnowledgeFigures } from './knowledge.ts';
import type { DayFigures, Figures, Report } from './report.ts';

export type Column = [header: string, cell: (f: Figures) => string];

const ENGAGE: Column[] = [
  ['dialers', (f) => num(f.dialers)],
  ['sessions', (f) => num(f.sessions)],
  ['new', (f) => num(f.newUsers)],
  ['returning', (f) => num(f.returningUsers)],
  ['day-1 ret', (f) => pct(f.retentionD1)],
  ['day-7 ret', (f) => pct(f.retentionD7)],
  ['questions', (f) => num(f.questions)],
  ['q/user', (f) => (f.questionsPerUser === null ? '-' : f.questionsPerUser.toFixed(2))],
];

const HELP: Column[] = [
  ['p50 ms', (f) => ms(f.latencyP50Ms)],
  ['p95 ms', (f) => ms(f.latencyP95Ms)],
  ['deadline cuts', (f) => num(f.deadlineCuts)],
  ['cache hits', (f) => num(f.cacheHits)],
  ['rated', (f) => num(f.rated)],
  ['helpful', (f) => pct(f.helpfulRate)],
  ['tokens', (f) => num(f.tokens)],
  ['api questions', (f) => num(f.apiQuestions)],
];

const PAY: Column[] = [['quota hits', (f) => num(f.quotaHits)], ...FUNNEL_COLUMNS];

/** The report's three sections, shared by the text and the admin page so they show the same figures. */
export const SECTIONS: readonly { title: string; columns: readonly Column[] }[] = [
  { title: 'Do users engage?', columns: ENGAGE },
  { title: 'Do the answers help?', columns: HELP },
  {
    title: 'Will they pay? (phones; conversion = paid / offered, or accepted / offered marked intent)',
    columns: PAY,
  },
];

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
    ...SECTIONS.flatMap((s) => ['', s.title, table(report.perDay, report.total, s.columns)]),
    `Failed payments by reason: ${failureLine(report.total)}`,
    '',
    ...deliveryText(report.delivery),
    '',
    'Most asked (normalised questions)',
    ...list(report.topQuestions),
    '',
    'Top keywords',
    ...list(report.topKeywords),
    '',
    ...knowledgeLines(report.knowledge),
  ];
  return `${out.join('\n')}\n`;
}

function table(days: readonly DayFigures[], total: Figures, columns: readonly Column[]): string {
  const rows = [
    ['day', ...columns.map(([h]) => h)],
    ...days.map((d) => [d.day, ...columns.map(([, cell]) => cell(d))]),
    ['total', ...columns.map(([, cell]) => cell(total))],
  ];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  const line = (r: string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  const [head, ...body] = rows;
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(head ?? []), rule, ...body.slice(0, -1).map(line), rule, line(body.at(-1) ?? [])].join('\n');
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

function num(n: number): string {
  return String(n);
}

function pct(r: number | null): string {
  return r === null ? '-' : `${Math.round(r * 100)}%`;
}

function ms(v: number | null): string {
  return v === null ? '-' : String(Math.round(v));
}

function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const m = Math.abs(minutes);
  return `${sign}${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}
