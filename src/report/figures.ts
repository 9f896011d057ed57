// The figures of one day or of the window (report.ts defines each), how they are accumulated from
// the queries' rows, and a day's zero figures (a day with nothing logged). Pure.
import { type AnswerCounts, type AnswerSource, emptyAnswerCounts } from './answers.ts';
import { emptyFunnel, type FunnelFigures } from './funnel.ts';

export interface Figures extends FunnelFigures {
  dialers: number;
  sessions: number;
  newUsers: number;
  returningUsers: number;
  retentionD1: number | null;
  retentionD7: number | null;
  sessionsPerUser: number | null;
  questions: number;
  apiQuestions: number;
  questionsPerUser: number | null;
  /** The USSD questions answered, by source (answers.ts). */
  answered: Record<AnswerSource, number>;
  /** The USSD questions that got no answer, and why (down, timeout, busy, empty, …). */
  failedAnswers: number;
  answerFailures: Record<string, number>;
  /** The model's answers (knowledge included): p50 and p95 of the whole answer. Per day only. */
  modelP50Ms: number | null;
  modelP95Ms: number | null;
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

/** What the queries add up, before the ratios. */
export interface Acc {
  dialers: number;
  sessions: number;
  newUsers: number;
  questions: number;
  apiQuestions: number;
  deadlineCuts: number;
  cacheHits: number;
  rated: number;
  helpful: number;
  quotaHits: number;
  tokensIn: number;
  tokensOut: number;
  d1Cohort: number;
  d1Kept: number;
  d7Cohort: number;
  d7Kept: number;
  answers: AnswerCounts;
  modelP50Ms: number | null;
  modelP95Ms: number | null;
}

export function emptyAcc(): Acc {
  return {
    ...{ dialers: 0, sessions: 0, newUsers: 0, questions: 0, apiQuestions: 0, deadlineCuts: 0 },
    ...{ cacheHits: 0, rated: 0, helpful: 0, quotaHits: 0, tokensIn: 0, tokensOut: 0 },
    ...{ d1Cohort: 0, d1Kept: 0, d7Cohort: 0, d7Kept: 0, modelP50Ms: null, modelP95Ms: null },
    answers: emptyAnswerCounts(),
  };
}

export function toFigures(a: Acc, funnel: FunnelFigures): Figures {
  const { d1Cohort, d1Kept, d7Cohort, d7Kept, answers, ...counts } = a;
  return {
    ...counts,
    returningUsers: a.dialers - a.newUsers,
    retentionD1: ratio(d1Kept, d1Cohort),
    retentionD7: ratio(d7Kept, d7Cohort),
    sessionsPerUser: ratio(a.sessions, a.dialers),
    questionsPerUser: ratio(a.questions, a.dialers),
    answered: answers.answered,
    failedAnswers: answers.failed,
    answerFailures: answers.failures,
    helpfulRate: ratio(a.helpful, a.rated),
    tokens: a.tokensIn + a.tokensOut,
    ...funnel,
  };
}

/** The figures of a day with nothing logged. */
export function zeroDay(day: string): DayFigures {
  return { day, ...toFigures(emptyAcc(), emptyFunnel()) };
}

/** Nothing happened on this day: no session, question, rating, tier event or revenue. */
export function isEmptyDay(f: Figures): boolean {
  return (
    f.sessions === 0 &&
    f.dialers === 0 &&
    f.questions === 0 &&
    f.apiQuestions === 0 &&
    f.rated === 0 &&
    f.quotaHits === 0 &&
    f.offered === 0 &&
    f.revenue === 0 &&
    f.tokens === 0
  );
}

/** Nearest-rank percentile of ascending values; null when there are none. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? null;
}

export function ratio(n: number, d: number): number | null {
  return d === 0 ? null : n / d;
}
