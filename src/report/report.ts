// The report that answers the MVP's three questions (issue 5): do users engage, does the answer
// help them, will they pay. Read-only queries over the interaction log, bucketed by local calendar
// day (TIMEZONE_OFFSET_MINUTES). No writes, no clock: `now` is given.
//
// Definitions (the numbers mean exactly this):
// - A user is a phone_hash. A user is *active* on day D when a USSD session of theirs started on D
//   (sessions.first_at). Dialers(D) = active users on D. Sessions(D) = sessions started on D.
// - New(D) = active users whose first session ever (in the whole file, after the retention purge)
//   started on D; Returning(D) = Dialers(D) − New(D). Over the window: new = first seen in the window,
//   returning = dialers in the window first seen before it.
// - Day-1 retention of cohort D = share of New(D) active on D+1. Day-7 retention = share of New(D)
//   active on at least one day of D+1..D+7. A cohort's figure is null until its follow-up days are
//   all over (D+1, resp. D+7, before today), and when the cohort is empty. The total pools every
//   cohort of the window whose figure is known: retained users / cohort users.
// - Questions, latency, deadline cuts and cache hits count USSD questions (channel 'ussd'), whatever
//   their outcome; /api/query questions are counted apart (apiQuestions). Tokens count both channels.
//   Latency percentiles are nearest-rank over latency_ms. Questions per user = questions / dialers.
// - Helpful rate = helpful ratings / ratings given that day.
// - The paid tier's funnel (offered, accepted, asked to pay, paid, revenue, conversion): funnel.ts.
// - Topics: the most frequent normalised questions and keywords (EN + SW stopwords removed) of the window.
import type { Database } from 'better-sqlite3';
import { devSecretSince } from '../log/meta.ts';
import { type DeliveryFigures, deliveryFigures } from './delivery.ts';
import { buildFunnel, emptyFunnel, type FunnelFigures } from './funnel.ts';
import { type KnowledgeFigures, knowledgeFigures } from './knowledge.ts';
import { keywords, normaliseQuestion, type TopicCount, topCounts } from './topics.ts';

export interface ReportOptions {
  days: number;
  now: number;
  tzOffsetMinutes: number;
  /** How many topics to list. */
  top?: number;
}

export interface Figures extends FunnelFigures {
  dialers: number;
  sessions: number;
  newUsers: number;
  returningUsers: number;
  retentionD1: number | null;
  retentionD7: number | null;
  questions: number;
  apiQuestions: number;
  questionsPerUser: number | null;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  deadlineCuts: number;
  cacheHits: number;
  rated: number;
  helpful: number;
  helpfulRate: number | null;
  quotaHits: number;
  tokensIn: number;
  tokensOut: number;
  tokens: number;
}

export interface DayFigures extends Figures {
  /** Local calendar day, YYYY-MM-DD. */
  day: string;
}

export interface Report {
  generatedAt: number;
  tzOffsetMinutes: number;
  days: number;
  from: string;
  to: string;
  perDay: DayFigures[];
  total: Figures;
  topQuestions: TopicCount[];
  topKeywords: TopicCount[];
  /** When the file was first written with the development PHONE_HASH_SECRET, or null (issue 15). */
  devPhoneHashSecretSince: number | null;
  /** Passages used and questions the knowledge base did not cover (knowledge.ts). */
  knowledge: KnowledgeFigures;
  /** How the window's answers reached people, and the SMS (issue 13; delivery.ts). */
  delivery: DeliveryFigures;
}

const DAY_MS = 86_400_000;

export function buildReport(db: Database, options: ReportOptions): Report {
  const { days, now, tzOffsetMinutes } = options;
  const off = tzOffsetMinutes * 60_000;
  const today = Math.floor((now + off) / DAY_MS);
  const first = today - days + 1;
  const range = { off, start: first * DAY_MS - off, end: (today + 1) * DAY_MS - off };
  const dayOf = (d: number) => new Date(d * DAY_MS).toISOString().slice(0, 10);
  const q = <T>(sql: string) => db.prepare(sql).all(range) as T[];
  const inRange = (col: string) => `${col} >= @start AND ${col} < @end`;
  // better-sqlite3 binds JS numbers as REAL: the cast keeps the division an integer one.
  const dayCol = (col: string) => `(${col} + CAST(@off AS INTEGER)) / ${DAY_MS}`;

  const acc = new Map<number, Acc>();
  for (let d = first; d <= today; d++) acc.set(d, emptyAcc());
  const at = (d: number) => acc.get(d) ?? emptyAcc();

  // Engagement: sessions started per day.
  for (const r of q<{ d: number; n: number }>(
    `SELECT ${dayCol('first_at')} AS d, count(*) AS n FROM sessions WHERE ${inRange('first_at')} GROUP BY d`,
  ))
    at(r.d).sessions = r.n;
  // Dialers, and the new users of each day with their return: counted by SQLite, whose temporary
  // B-trees spill to disk, rather than in maps of phones (a million sessions needed 340 MB of heap).
  for (const r of q<{ d: number; n: number }>(
    `SELECT d, count(*) AS n FROM (
       SELECT DISTINCT phone_hash, ${dayCol('first_at')} AS d FROM sessions WHERE ${inRange('first_at')}
     ) GROUP BY d`,
  ))
    at(r.d).dialers = r.n;
  const total = emptyAcc();
  total.dialers =
    q<{ n: number }>(`SELECT count(DISTINCT phone_hash) AS n FROM sessions WHERE ${inRange('first_at')}`)[0]
      ?.n ?? 0;
  // A new user's first session ever is in the range; the range's (first_at, phone_hash) index
  // answers every part (migration 4).
  for (const r of q<{ d: number; n: number; back1: number; back7: number }>(
    `WITH active AS MATERIALIZED (
       SELECT DISTINCT phone_hash AS p, ${dayCol('first_at')} AS d FROM sessions WHERE ${inRange('first_at')}
     ), firsts AS MATERIALIZED (
       SELECT phone_hash AS p, ${dayCol('min(first_at)')} AS d FROM sessions
       WHERE first_at < @end AND phone_hash IN (SELECT p FROM active)
       GROUP BY phone_hash HAVING min(first_at) >= @start
     )
     SELECT d, count(*) AS n, sum(back1) AS back1, sum(back7) AS back7 FROM (
       SELECT f.d AS d, max(a.d = f.d + 1) AS back1, max(a.d BETWEEN f.d + 1 AND f.d + 7) AS back7
       FROM firsts f JOIN active a ON a.p = f.p
       GROUP BY f.p
     ) GROUP BY d`,
  )) {
    const a = at(r.d);
    a.newUsers = r.n;
    total.newUsers += r.n;
    for (const x of [a, total]) {
      if (r.d + 1 < today) {
        x.d1Cohort += r.n;
        x.d1Kept += r.back1;
      }
      if (r.d + 7 < today) {
        x.d7Cohort += r.n;
        x.d7Kept += r.back7;
      }
    }
  }

  // Answers: counts, latency, tokens.
  for (const r of q<{ d: number; u: number; a: number; c: number; h: number; ti: number; to: number }>(
    `SELECT ${dayCol('at')} AS d, sum(channel = 'ussd') AS u, sum(channel = 'api') AS a,
       sum(channel = 'ussd' AND deadline_cut) AS c, sum(channel = 'ussd' AND cache_hit) AS h,
       sum(tokens_in) AS ti, sum(tokens_out) AS "to"
     FROM questions WHERE ${inRange('at')} GROUP BY d`,
  )) {
    for (const x of [at(r.d), total]) {
      x.questions += r.u;
      x.apiQuestions += r.a;
      x.deadlineCuts += r.c;
      x.cacheHits += r.h;
      x.tokensIn += r.ti;
      x.tokensOut += r.to;
    }
  }
  for (const r of q<{ d: number; ms: number }>(
    `SELECT ${dayCol('at')} AS d, latency_ms AS ms FROM questions
     WHERE channel = 'ussd' AND ${inRange('at')} ORDER BY latency_ms`,
  )) {
    at(r.d).latencies.push(r.ms);
    total.latencies.push(r.ms);
  }
  for (const r of q<{ d: number; n: number; h: number }>(
    `SELECT ${dayCol('at')} AS d, count(*) AS n, sum(helpful) AS h FROM feedback WHERE ${inRange('at')} GROUP BY d`,
  )) {
    for (const x of [at(r.d), total]) {
      x.rated += r.n;
      x.helpful += r.h;
    }
  }

  // Paid tier: quota hits here, the funnel in funnel.ts.
  for (const r of q<{ d: number; qh: number }>(
    `SELECT ${dayCol('at')} AS d, count(*) AS qh FROM tier_events
     WHERE event = 'quota-hit' AND ${inRange('at')} GROUP BY d`,
  )) {
    for (const x of [at(r.d), total]) x.quotaHits += r.qh;
  }
  const funnel = buildFunnel(db, range);
  for (const a of acc.values()) a.returningUsers = a.dialers - a.newUsers;
  total.sessions = [...acc.values()].reduce((s, a) => s + a.sessions, 0);
  total.returningUsers = total.dialers - total.newUsers;

  const asked = q<{ question: string }>(`SELECT question FROM questions WHERE ${inRange('at')}`).map((r) =>
    normaliseQuestion(r.question),
  );
  const top = options.top ?? 10;
  return {
    generatedAt: now,
    tzOffsetMinutes,
    days,
    from: dayOf(first),
    to: dayOf(today),
    perDay: [...acc].map(([d, a]) => ({
      day: dayOf(d),
      ...figures(a),
      ...(funnel.byDay.get(d) ?? emptyFunnel()),
    })),
    total: { ...figures(total), ...funnel.total },
    topQuestions: topCounts(asked, top),
    topKeywords: topCounts(
      asked.flatMap((text) => keywords(text)),
      top,
    ),
    devPhoneHashSecretSince: devSecretSince(db),
    knowledge: knowledgeFigures(db, range, top),
    delivery: deliveryFigures(db, range),
  };
}

/** Nearest-rank percentile of ascending values; null when there are none. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? null;
}

type Acc = Omit<
  Figures,
  | keyof FunnelFigures
  | 'retentionD1'
  | 'retentionD7'
  | 'questionsPerUser'
  | 'latencyP50Ms'
  | 'latencyP95Ms'
  | 'helpfulRate'
  | 'tokens'
> & { d1Cohort: number; d1Kept: number; d7Cohort: number; d7Kept: number; latencies: number[] };

function emptyAcc(): Acc {
  return {
    ...{ dialers: 0, sessions: 0, newUsers: 0, returningUsers: 0, questions: 0, apiQuestions: 0 },
    ...{ deadlineCuts: 0, cacheHits: 0, rated: 0, helpful: 0, quotaHits: 0 },
    ...{ tokensIn: 0, tokensOut: 0, d1Cohort: 0, d1Kept: 0, d7Cohort: 0, d7Kept: 0 },
    latencies: [],
  };
}

function figures(a: Acc): Omit<Figures, keyof FunnelFigures> {
  const { d1Cohort, d1Kept, d7Cohort, d7Kept, latencies, ...counts } = a;
  return {
    ...counts,
    retentionD1: ratio(d1Kept, d1Cohort),
    retentionD7: ratio(d7Kept, d7Cohort),
    questionsPerUser: ratio(a.questions, a.dialers),
    latencyP50Ms: percentile(latencies, 50),
    latencyP95Ms: percentile(latencies, 95),
    helpfulRate: ratio(a.helpful, a.rated),
    tokens: a.tokensIn + a.tokensOut,
  };
}

function ratio(n: number, d: number): number | null {
  return d === 0 ? null : n / d;
}
