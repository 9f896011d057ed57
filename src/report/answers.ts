// What became of the window's USSD questions (issue 16 item 8): answered from which source (the
// model, the model with knowledge passages, the answer cache, the FAQ), or failed and why (down,
// timeout, busy, empty, …), and how long each source took, to the first words and to the whole
// answer. A single p50 over everything mixed 2 ms failures and 0 ms FAQ answers with 2 s model
// answers ("p50 11 ms"), so latency is only ever given per source. Read-only, no clock.
//
// Definitions: a question is a `questions` row of channel 'ussd' asked in the window. Answered:
// outcome ok or cut (a stream cut at its length still gave an answer); else failed, by its outcome.
// Knowledge: a model answer whose prompt carried at least one passage. First words: ttft_ms (from
// the question, the queue's wait included); cache and FAQ have none and count their whole answer.
// Percentiles are nearest-rank.
import type { Database } from 'better-sqlite3';
import { SQL } from './sql.ts';

export const SOURCES = ['model', 'knowledge', 'cache', 'faq'] as const;
export type AnswerSource = (typeof SOURCES)[number];

/** A day's (or the window's) questions by what became of them. */
export interface AnswerCounts {
  answered: Record<AnswerSource, number>;
  /** Failed questions by kind (the AnswerFailure that ended them). */
  failures: Record<string, number>;
  failed: number;
}

export interface SourceLatency {
  source: AnswerSource;
  answered: number;
  firstP50Ms: number | null;
  firstP95Ms: number | null;
  wholeP50Ms: number | null;
  wholeP95Ms: number | null;
}

export interface FailureKind {
  kind: string;
  count: number;
  /** How long the asker waited for the failure. */
  p50Ms: number | null;
  p95Ms: number | null;
}

export interface AnswerFigures {
  bySource: SourceLatency[];
  /** Most frequent first. */
  failures: FailureKind[];
}

export interface AnswersByDay {
  byDay: Map<number, AnswerCounts & { modelP50Ms: number | null; modelP95Ms: number | null }>;
  total: AnswerCounts;
  window: AnswerFigures;
}

type Params = { start: number; end: number; off: number };
type Pct = { key: string | number; n: number; p50: number | null; p95: number | null };

export function emptyAnswerCounts(): AnswerCounts {
  return { answered: { model: 0, knowledge: 0, cache: 0, faq: 0 }, failures: {}, failed: 0 };
}

export function answerFigures(db: Database, params: Params): AnswersByDay {
  const byDay: AnswersByDay['byDay'] = new Map();
  const dayOf = (d: number) => {
    let x = byDay.get(d);
    if (!x) {
      x = { ...emptyAnswerCounts(), modelP50Ms: null, modelP95Ms: null };
      byDay.set(d, x);
    }
    return x;
  };
  const total = emptyAnswerCounts();
  for (const r of db.prepare(SQL.outcomesPerDay).all(params) as {
    d: number;
    src: string;
    oc: string;
    n: number;
  }[])
    for (const c of [dayOf(r.d), total]) add(c, r.src, r.oc, r.n);
  for (const r of db.prepare(SQL.modelLatencyPerDay).all(params) as Pct[]) {
    const d = dayOf(Number(r.key));
    d.modelP50Ms = r.p50;
    d.modelP95Ms = r.p95;
  }
  const first = keyed(db.prepare(SQL.firstScreenBySource).all(params) as Pct[]);
  const whole = keyed(db.prepare(SQL.wholeBySource).all(params) as Pct[]);
  const failing = keyed(db.prepare(SQL.failureLatency).all(params) as Pct[]);
  return {
    byDay,
    total,
    window: {
      bySource: SOURCES.map((source) => ({
        source,
        answered: total.answered[source],
        firstP50Ms: first.get(source)?.p50 ?? null,
        firstP95Ms: first.get(source)?.p95 ?? null,
        wholeP50Ms: whole.get(source)?.p50 ?? null,
        wholeP95Ms: whole.get(source)?.p95 ?? null,
      })),
      failures: Object.entries(total.failures)
        .map(([kind, count]) => ({
          kind,
          count,
          p50Ms: failing.get(kind)?.p50 ?? null,
          p95Ms: failing.get(kind)?.p95 ?? null,
        }))
        .sort((a, b) => b.count - a.count || (a.kind < b.kind ? -1 : 1)),
    },
  };
}

function add(c: AnswerCounts, src: string, outcome: string, n: number): void {
  if (outcome !== 'ok') {
    c.failures[outcome] = (c.failures[outcome] ?? 0) + n;
    c.failed += n;
  } else if ((SOURCES as readonly string[]).includes(src)) {
    c.answered[src as AnswerSource] += n;
  }
}

function keyed(rows: Pct[]): Map<string, Pct> {
  return new Map(rows.map((r) => [String(r.key), r]));
}
