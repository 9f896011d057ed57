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
// - Sessions per user = sessions / dialers; questions per user = questions / dialers.
// - Questions, deadline cuts and cache hits count USSD questions (channel 'ussd'), whatever their
//   outcome; /api/query questions are counted apart (apiQuestions). Tokens count both channels.
//   What became of them (answered by source, failed by kind) and latency per source: answers.ts.
// - Helpful rate = helpful ratings / ratings given that day.
// - The paid tier's funnel (offered, accepted, asked to pay, paid, revenue, conversion): funnel.ts.
// - Retention cohorts by week and where sessions end: engagement.ts.
// - Topics: the window's questions grouped as one question asked in other words, noise left out,
//   with their helpful rate (topics.ts); keywords with EN + SW stopwords removed.
// - perDay lists the days on which something was logged; the others are runs in emptyDays (the
//   text and the JSON collapse them; the page's charts draw them as points at zero).
// Every query is in sql.ts.
import type { Database } from 'better-sqlite3';
import { devSecretSince } from '../log/meta.ts';
import { type AnswerFigures, answerFigures } from './answers.ts';
import { collapseDays, type EmptyDays } from './days.ts';
import { type DeliveryFigures, deliveryFigures } from './delivery.ts';
import { type Cohort, type NewUsersRow, type SessionEnds, sessionEnds, weeklyCohorts } from './engagement.ts';
import { type Acc, type DayFigures, emptyAcc, type Figures, toFigures } from './figures.ts';
import { buildFunnel, emptyFunnel } from './funnel.ts';
import { type KnowledgeFigures, knowledgeFigures } from './knowledge.ts';
import { SQL } from './sql.ts';
import {
  type AskedQuestion,
  keywords,
  type TopicCount,
  type TopicGroup,
  topicGroups,
  topWeighted,
} from './topics.ts';

export type { DayFigures, Figures } from './figures.ts';
export { percentile } from './figures.ts';

export interface ReportOptions {
  days: number;
  now: number;
  tzOffsetMinutes: number;
  /** How many topics to list. */
  top?: number;
}

export interface Report {
  generatedAt: number;
  tzOffsetMinutes: number;
  days: number;
  from: string;
  to: string;
  /** The days with something logged, oldest first. */
  perDay: DayFigures[];
  /** The runs of days with nothing logged. */
  emptyDays: EmptyDays[];
  total: Figures;
  /** Answer sources, latency per source, failures by kind (answers.ts). */
  answers: AnswerFigures;
  /** Retention by the week phones were first seen (engagement.ts). */
  cohorts: Cohort[];
  sessionEnds: SessionEnds;
  topQuestions: TopicGroup[];
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

  const acc = new Map<number, Acc>();
  for (let d = first; d <= today; d++) acc.set(d, emptyAcc());
  const at = (d: number) => acc.get(d) ?? emptyAcc();
  const total = emptyAcc();

  // Engagement.
  for (const r of q<{ d: number; n: number }>(SQL.sessionsPerDay)) {
    at(r.d).sessions = r.n;
    total.sessions += r.n;
  }
  const engaged = q<NewUsersRow & { kind: 'day' | 'window' | 'new' }>(SQL.engagement);
  for (const r of engaged) if (r.kind === 'day') at(r.d).dialers = r.n;
  total.dialers = engaged.find((r) => r.kind === 'window')?.n ?? 0;
  const newUsers = engaged.filter((r) => r.kind === 'new');
  for (const r of newUsers) {
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

  // Answers: counts, tokens, sources, failures, latency.
  for (const r of q<{ d: number; u: number; a: number; c: number; h: number; ti: number; tout: number }>(
    SQL.questionsPerDay,
  )) {
    for (const x of [at(r.d), total]) {
      x.questions += r.u;
      x.apiQuestions += r.a;
      x.deadlineCuts += r.c;
      x.cacheHits += r.h;
      x.tokensIn += r.ti;
      x.tokensOut += r.tout;
    }
  }
  const answers = answerFigures(db, range);
  for (const [d, counts] of answers.byDay) {
    const a = at(d);
    a.answers = counts;
    a.modelP50Ms = counts.modelP50Ms;
    a.modelP95Ms = counts.modelP95Ms;
  }
  total.answers = answers.total;
  for (const r of q<{ d: number; n: number; h: number }>(SQL.helpfulPerDay)) {
    for (const x of [at(r.d), total]) {
      x.rated += r.n;
      x.helpful += r.h;
    }
  }

  // Paid tier: quota hits here, the funnel in funnel.ts.
  for (const r of q<{ d: number; qh: number }>(SQL.quotaHitsPerDay)) {
    for (const x of [at(r.d), total]) x.quotaHits += r.qh;
  }
  const funnel = buildFunnel(db, range);

  const asked = q<AskedQuestion>(SQL.questionsRated);
  const top = options.top ?? 10;
  const all = [...acc].map(([d, a]) => ({
    day: dayOf(d),
    ...toFigures(a, funnel.byDay.get(d) ?? emptyFunnel()),
  }));
  return {
    generatedAt: now,
    tzOffsetMinutes,
    days,
    from: dayOf(first),
    to: dayOf(today),
    ...collapseDays(all),
    total: toFigures(total, funnel.total),
    answers: answers.window,
    cohorts: weeklyCohorts(newUsers, first, today),
    sessionEnds: sessionEnds(db, range),
    topQuestions: topicGroups(asked, top),
    topKeywords: topWeighted(
      asked.flatMap((r) => keywords(r.question).map((k) => [k, r.asked] as const)),
      top,
    ),
    devPhoneHashSecretSince: devSecretSince(db),
    knowledge: knowledgeFigures(db, range, top),
    delivery: deliveryFigures(db, range),
  };
}
