// The report's tables, as cells of text: one definition for the terminal (report-text.ts), the
// admin page (admin-page.ts) and its CSV downloads (admin.ts), so the three show the same figures
// (issue 17). Per-day tables list the days with something logged and the window's total; the
// others are the window's. Pure.

import type { Figures } from './figures.ts';
import { FUNNEL_COLUMNS } from './funnel-text.ts';
import { SOURCE_LABELS } from './labels.ts';
import type { Report } from './report.ts';

export type Column = [header: string, cell: (f: Figures) => string];

export interface Table {
  /** Stable name: the CSV's file name (`<id>.csv`) and the page's anchor. */
  id: string;
  title: string;
  head: string[];
  rows: string[][];
  /** The window's total, for per-day tables. */
  foot?: string[];
  /** Per-day tables: the day of each row, so the empty days between them can be told. */
  days?: string[];
}

const ENGAGE: Column[] = [
  ['dialers', (f) => num(f.dialers)],
  ['sessions', (f) => num(f.sessions)],
  ['new', (f) => num(f.newUsers)],
  ['returning', (f) => num(f.returningUsers)],
  ['day-1 ret', (f) => pct(f.retentionD1)],
  ['day-7 ret', (f) => pct(f.retentionD7)],
  ['sessions/user', (f) => dec(f.sessionsPerUser)],
  ['questions', (f) => num(f.questions)],
  ['q/user', (f) => dec(f.questionsPerUser)],
];

const HELP: Column[] = [
  ['questions', (f) => num(f.questions)],
  ...(Object.entries(SOURCE_LABELS) as [keyof Figures['answered'], string][]).map(
    ([s, label]): Column => [label, (f) => num(f.answered[s])],
  ),
  ['failed', (f) => num(f.failedAnswers)],
  ['model p50 ms', (f) => ms(f.modelP50Ms)],
  ['model p95 ms', (f) => ms(f.modelP95Ms)],
  ['deadline cuts', (f) => num(f.deadlineCuts)],
  ['rated', (f) => num(f.rated)],
  ['helpful', (f) => pct(f.helpfulRate)],
  ['tokens', (f) => num(f.tokens)],
  ['api questions', (f) => num(f.apiQuestions)],
];

const PAY: Column[] = [['quota hits', (f) => num(f.quotaHits)], ...FUNNEL_COLUMNS];

/** The per-day sections, shared by the text and the page. */
export const SECTIONS: readonly { id: string; title: string; columns: readonly Column[] }[] = [
  { id: 'engagement-daily', title: 'Do users engage? (per day)', columns: ENGAGE },
  { id: 'answers-daily', title: 'Do the answers help? (per day)', columns: HELP },
  {
    id: 'funnel-daily',
    title:
      'Will they pay? (per day; phones; conversion = paid / offered, or accepted / offered marked intent)',
    columns: PAY,
  },
];

export function dailyTables(report: Report): Table[] {
  return SECTIONS.map((s) => {
    // A day with nothing for this table (no offer on a day of sessions) is no row of zeros either.
    const days = report.perDay
      .map((d) => [d.day, ...s.columns.map(([, cell]) => cell(d))])
      .filter((r) => r.slice(1).some((c) => !/^(0|-|0\/0)$/.test(c)));
    return {
      id: s.id,
      title: s.title,
      head: ['day', ...s.columns.map(([h]) => h)],
      rows: days,
      // The model's p50/p95 over the window is per source, in the latency table: no blend of days.
      foot: ['total', ...s.columns.map(([h, cell]) => (h.startsWith('model p') ? '-' : cell(report.total)))],
      days: days.map((r) => r[0] ?? ''),
    };
  });
}

export function cohortTable(report: Report): Table {
  const cell = (r: { kept: number; eligible: number; rate: number | null }) =>
    r.rate === null ? '-' : `${pct(r.rate)} (${r.kept}/${r.eligible})`;
  return {
    id: 'cohorts',
    title: 'Retention by week first seen (share back on day 1, within 7 and 28 days)',
    head: ['week of', 'new', 'day 1', 'day 7', 'day 28'],
    rows: report.cohorts.map((c) => [c.week, num(c.phones), cell(c.day1), cell(c.day7), cell(c.day28)]),
  };
}

export function sessionEndTables(report: Report): Table[] {
  const e = report.sessionEnds;
  const share = (n: number) => (e.sessions === 0 ? '-' : pct(n / e.sessions));
  return [
    {
      id: 'session-ends',
      title: 'Where sessions end (last screen shown)',
      head: ['screen', 'sessions', 'share'],
      rows: e.screens.map((s) => [s.screen, num(s.sessions), share(s.sessions)]),
    },
    {
      id: 'session-hops',
      title: 'Hops per session',
      head: ['hops', 'sessions', 'share'],
      rows: e.hops.map((h) => [h.hops, num(h.sessions), share(h.sessions)]),
    },
  ];
}

export function answerTables(report: Report): Table[] {
  const q = report.total.questions;
  const share = (n: number) => (q === 0 ? '-' : pct(n / q));
  return [
    {
      id: 'latency-by-source',
      title: 'Answers by source: time to the first words and to the whole answer (ms)',
      head: ['source', 'answered', 'share', 'first p50', 'first p95', 'whole p50', 'whole p95'],
      rows: report.answers.bySource.map((s) => [
        SOURCE_LABELS[s.source],
        num(s.answered),
        share(s.answered),
        ms(s.firstP50Ms),
        ms(s.firstP95Ms),
        ms(s.wholeP50Ms),
        ms(s.wholeP95Ms),
      ]),
    },
    {
      id: 'failures',
      title: `Failed answers by kind: ${report.total.failedAnswers} of ${q} questions (${share(report.total.failedAnswers)})`,
      head: ['kind', 'questions', 'share', 'p50 ms', 'p95 ms'],
      rows: report.answers.failures.map((f) => [
        f.kind,
        num(f.count),
        share(f.count),
        ms(f.p50Ms),
        ms(f.p95Ms),
      ]),
    },
    {
      id: 'delivery',
      title: 'How the answers reached people',
      head: ['how', 'questions', 'share'],
      rows: (
        [
          ['in session', report.delivery.inSession],
          ['at the next dial', report.delivery.nextDial],
          ['by SMS', report.delivery.bySms],
          ['not yet', report.delivery.never],
        ] as const
      ).map(([how, n]) => [
        how,
        num(n),
        report.delivery.questions === 0 ? '-' : pct(n / report.delivery.questions),
      ]),
    },
  ];
}

export function topicTable(report: Report): Table {
  return {
    id: 'topics',
    title: 'Most asked (the same question in other words counted once; not questions left out)',
    head: ['question', 'asked', 'wordings', 'rated', 'helpful'],
    rows: report.topQuestions.map((t) => [
      t.text,
      num(t.count),
      num(t.variants),
      num(t.rated),
      pct(t.helpfulRate),
    ]),
  };
}

/** Every table of the report, in the page's order. */
export function allTables(report: Report): Table[] {
  return [
    ...dailyTables(report),
    cohortTable(report),
    ...sessionEndTables(report),
    ...answerTables(report),
    topicTable(report),
  ];
}

/** RFC 4180 CSV of a table (its total last), CRLF line ends. */
export function toCsv(t: Table): string {
  const field = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  return `${[t.head, ...t.rows, ...(t.foot ? [t.foot] : [])].map((r) => r.map(field).join(',')).join('\r\n')}\r\n`;
}

export function num(n: number): string {
  return String(n);
}

export function pct(r: number | null): string {
  return r === null ? '-' : `${Math.round(r * 100)}%`;
}

export function ms(v: number | null): string {
  return v === null ? '-' : String(Math.round(v));
}

function dec(v: number | null): string {
  return v === null ? '-' : v.toFixed(2);
}
