// The report's figures on a small hand-made dataset, every expected number worked out by hand
// below (local time is UTC+3; the window is 2026-01-01 .. 2026-01-10, "now" is Jan 10 20:00).
import { beforeAll, describe, expect, it } from 'vitest';
import { emptyFunnel, type FunnelFigures } from '../../src/report/funnel.ts';
import { openLogReadOnly } from '../../src/report/read.ts';
import { buildReport, type DayFigures, percentile, type Report } from '../../src/report/report.ts';
import { formatReportText } from '../../src/report/report-text.ts';
import { feedback, hop, question, sessionEnd, tier, useSeededLogFile } from '../log/fixtures.ts';

const TZ = 180;
/** Epoch ms of a local (UTC+3) time in January 2026; day 0 is Dec 31, -1 is Dec 30. */
const local = (day: number, h: number, m = 0) => Date.UTC(2026, 0, day, h, m) - TZ * 60_000;
const NOW = local(10, 20);

let report: Report;

const file = useSeededLogFile((log) => {
  // Sessions (one hop each is enough): user → local day(s).
  const sessions: [string, string, number][] = [
    ['s-b0', 'B', local(-1, 10)], // B's first session, before the window
    ['s-a1', 'A', local(1, 9)],
    ['s-b1', 'B', local(1, 10)],
    ['s-c1', 'C', local(1, 11)],
    ['s-c2', 'C', local(1, 15)],
    ['s-a2', 'A', local(2, 23, 50)], // 20:50 UTC: still Jan 2 locally
    ['s-d1', 'D', local(2, 8)],
    ['s-f1', 'F', local(3, 0, 30)], // 21:30 UTC on Jan 2: Jan 3 locally
    ['s-a3', 'A', local(5, 12)],
    ['s-d2', 'D', local(9, 8)],
    ['s-e1', 'E', local(9, 9)],
    ['s-e2', 'E', local(10, 9)],
  ];
  for (const [sessionId, phoneHash, at] of sessions) log.recordHop(hop({ sessionId, phoneHash, at }));
  // G's session is known only from AT's notification: it started 30 s before it ended, on Jan 5.
  log.recordSessionEnd(
    sessionEnd({ sessionId: 's-g1', phoneHash: 'G', at: local(5, 10), durationMs: 30_000 }),
  );

  const q = (
    id: string,
    phoneHash: string,
    at: number,
    text: string,
    over: Partial<Parameters<typeof question>[0]>,
  ) => log.recordQuestion(question({ id, phoneHash, at, question: text, ...over }));
  q('q0', 'B', local(-1, 10), 'Old question', { latencyMs: 1 });
  q('q1', 'A', local(1, 9), 'How do I plant maize?', { latencyMs: 1000, tokensIn: 10, tokensOut: 5 });
  q('q2', 'A', local(1, 9, 5), 'When to plant maize', {
    latencyMs: 3000,
    deadlineCut: true,
    tokensIn: 20,
    tokensOut: 10,
  });
  q('q3', 'C', local(1, 11), 'how do i plant MAIZE', {
    latencyMs: 2000,
    cacheHit: true,
    tokensIn: 0,
    tokensOut: 0,
  });
  q('q4', 'D', local(2, 8), 'Bei ya mbolea ni kiasi gani?', { latencyMs: 4000, tokensIn: 5, tokensOut: 5 });
  q('q5', 'api-user', local(2, 12), 'Fertilizer price', {
    channel: 'api',
    latencyMs: 99_999,
    tokensIn: 100,
    tokensOut: 50,
  });
  q('q6', 'E', local(9, 9), 'Maize disease', { latencyMs: 500, tokensIn: 1, tokensOut: 1 });

  for (const [questionId, helpful, at] of [
    ['q0', true, local(-1, 10)],
    ['q1', true, local(1, 9)],
    ['q2', false, local(1, 9)],
    ['q3', true, local(1, 11)],
    ['q4', false, local(2, 8)],
  ] as const)
    log.recordFeedback(feedback({ questionId, helpful, at }));

  for (const [phoneHash, event, at] of [
    ['B', 'offer', local(-1, 10)],
    ['A', 'quota-hit', local(1, 9)],
    ['A', 'offer', local(1, 9)],
    ['A', 'decline', local(1, 9)],
    ['D', 'quota-hit', local(2, 8)],
    ['D', 'offer', local(2, 8)],
    ['D', 'accept', local(2, 8)],
    ['A', 'quota-hit', local(2, 23)],
    ['A', 'offer', local(2, 23)],
    ['E', 'offer', local(9, 9)],
    ['E', 'accept', local(9, 9)],
  ] as const)
    log.recordTier(tier({ phoneHash, event, at }));
});

beforeAll(() => {
  const db = openLogReadOnly(file.path);
  report = buildReport(db, { days: 10, now: NOW, tzOffsetMinutes: TZ });
  db.close();
});

const ZERO: Omit<DayFigures, 'day'> = {
  ...{ dialers: 0, sessions: 0, newUsers: 0, returningUsers: 0, retentionD1: null, retentionD7: null },
  ...{ questions: 0, apiQuestions: 0, questionsPerUser: null, latencyP50Ms: null, latencyP95Ms: null },
  ...{ deadlineCuts: 0, cacheHits: 0, rated: 0, helpful: 0, helpfulRate: null, quotaHits: 0 },
  ...{ tokensIn: 0, tokensOut: 0, tokens: 0 },
  ...emptyFunnel(),
};

/** The funnel of phones offered (all on the quota screen, in intent mode), accepted and declined. */
const intent = (offered: number, accepted: number, declined: number): Partial<FunnelFigures> => ({
  ...{ offered, offeredFromQuota: offered, accepted, declined },
  ...{ conversionRate: accepted / offered, conversionBasis: 'intent' },
});

// Retention: a cohort's day-1 figure is known once D+1 < Jan 10, its day-7 once D+7 < Jan 10.
const EXPECTED_DAYS: DayFigures[] = [
  {
    ...ZERO,
    day: '2026-01-01',
    // A, B, C (C twice); A and C are new, B came first on Dec 30.
    ...{ dialers: 3, sessions: 4, newUsers: 2, returningUsers: 1 },
    // Cohort {A, C}: A is back on Jan 2 (and Jan 5), C never.
    ...{ retentionD1: 1 / 2, retentionD7: 1 / 2 },
    // q1 1000 ms, q2 3000 ms cut, q3 2000 ms cached: nearest rank p50 = 2nd, p95 = 3rd.
    ...{
      questions: 3,
      questionsPerUser: 1,
      latencyP50Ms: 2000,
      latencyP95Ms: 3000,
      deadlineCuts: 1,
      cacheHits: 1,
    },
    // A shown the offer, declined it.
    ...{ rated: 3, helpful: 2, helpfulRate: 2 / 3, quotaHits: 1, ...intent(1, 0, 1) },
    ...{ tokensIn: 30, tokensOut: 15, tokens: 45 },
  },
  {
    ...ZERO,
    day: '2026-01-02',
    // A (returning) and D (new). Cohort {D}: not on Jan 3, back on Jan 9 (= D+7).
    ...{ dialers: 2, sessions: 2, newUsers: 1, returningUsers: 1, retentionD1: 0, retentionD7: 1 },
    ...{ questions: 1, apiQuestions: 1, questionsPerUser: 1 / 2, latencyP50Ms: 4000, latencyP95Ms: 4000 },
    // D and A shown the offer; D accepted; A's decline was on Jan 1, before this offer.
    ...{ rated: 1, helpful: 0, helpfulRate: 0, quotaHits: 2, ...intent(2, 1, 0) },
    // q4 (5 + 5) and the API question (100 + 50).
    ...{ tokensIn: 105, tokensOut: 55, tokens: 160 },
  },
  // F at 00:30 local. Cohort {F}: not back on Jan 4; day 7 (Jan 10) not over yet.
  { ...ZERO, day: '2026-01-03', dialers: 1, sessions: 1, newUsers: 1, retentionD1: 0, questionsPerUser: 0 },
  { ...ZERO, day: '2026-01-04' },
  // A (returning) and G (new, from the notification alone). Cohort {G}: not back on Jan 6.
  {
    ...ZERO,
    day: '2026-01-05',
    ...{ dialers: 2, sessions: 2, newUsers: 1, returningUsers: 1, retentionD1: 0, questionsPerUser: 0 },
  },
  { ...ZERO, day: '2026-01-06' },
  { ...ZERO, day: '2026-01-07' },
  { ...ZERO, day: '2026-01-08' },
  {
    ...ZERO,
    day: '2026-01-09',
    // D (returning) and E (new); E's day 1 is today, not over: null.
    ...{ dialers: 2, sessions: 2, newUsers: 1, returningUsers: 1 },
    ...{ questions: 1, questionsPerUser: 1 / 2, latencyP50Ms: 500, latencyP95Ms: 500 },
    ...{ ...intent(1, 1, 0), tokensIn: 1, tokensOut: 1, tokens: 2 },
  },
  { ...ZERO, day: '2026-01-10', dialers: 1, sessions: 1, returningUsers: 1, questionsPerUser: 0 },
];

describe('the report', () => {
  it('covers the window ending today, in local days', () => {
    expect(report).toMatchObject({ from: '2026-01-01', to: '2026-01-10', days: 10, tzOffsetMinutes: TZ });
  });

  it.each(EXPECTED_DAYS.map((d) => [d.day, d] as const))('has the figures of %s', (day, expected) => {
    const got = report.perDay.find((d) => d.day === day);
    expect(got).toEqual(expected);
  });

  it('has the totals of the window', () => {
    expect(report.total).toEqual({
      // A B C D E F G; new in the window: A C D F G E; B is the one returning user.
      ...{ dialers: 7, sessions: 12, newUsers: 6, returningUsers: 1 },
      // Day 1, cohorts Jan 1 (1 of 2), Jan 2 (0/1), Jan 3 (0/1), Jan 5 (0/1): 1 of 5.
      // Day 7, cohorts Jan 1 (1 of 2), Jan 2 (1 of 1): 2 of 3.
      ...{ retentionD1: 1 / 5, retentionD7: 2 / 3 },
      // USSD latencies 500 1000 2000 3000 4000: p50 = 3rd, p95 = 5th.
      ...{ questions: 5, apiQuestions: 1, questionsPerUser: 5 / 7, latencyP50Ms: 2000, latencyP95Ms: 4000 },
      ...{ deadlineCuts: 1, cacheHits: 1, rated: 4, helpful: 2, helpfulRate: 1 / 2 },
      // Phones offered in the window: A, D, E (B's offer was before it); D and E accepted, A declined.
      ...{ quotaHits: 3, ...emptyFunnel(), ...intent(3, 2, 1) },
      ...{ tokensIn: 136, tokensOut: 71, tokens: 207 },
    });
  });

  it('lists the most asked questions and keywords, stopwords (EN and SW) removed', () => {
    expect(report.topQuestions).toEqual([
      { text: 'how do i plant maize', count: 2 },
      { text: 'bei ya mbolea ni kiasi gani', count: 1 },
      { text: 'fertilizer price', count: 1 },
      { text: 'maize disease', count: 1 },
      { text: 'when to plant maize', count: 1 },
    ]);
    expect(report.topKeywords).toEqual([
      { text: 'maize', count: 4 },
      { text: 'plant', count: 3 },
      ...['bei', 'disease', 'fertilizer', 'kiasi', 'mbolea', 'price'].map((text) => ({ text, count: 1 })),
    ]);
  });

  it('prints aligned tables with the same figures', () => {
    const text = formatReportText(report);
    expect(text).toContain('Interaction report 2026-01-01 .. 2026-01-10 (10 days, UTC+03:00)');
    const lines = text.split('\n');
    const engageHeader = lines.findIndex((l) => l.startsWith('day ') && l.includes('dialers'));
    const totalRow = lines.slice(engageHeader).find((l) => l.startsWith('total'));
    expect(totalRow?.split(/\s+/)).toEqual(['total', '7', '12', '6', '1', '20%', '67%', '5', '0.71']);
    expect(lines[engageHeader]?.length).toBe(totalRow?.length);
    expect(text).toMatch(/total\s+2000\s+4000\s+1\s+1\s+4\s+50%\s+207\s+1/);
    expect(text).toMatch(/total\s+3\s+3\s+3\/0\s+2\s+1\s+0\s+0\s+0\s+0\s+0\s+67% intent/);
    expect(text).toContain('  4  maize');
  });
});

describe('percentile (nearest rank)', () => {
  it.each([
    [[], 50, null],
    [[7], 95, 7],
    [[1, 2, 3, 4], 50, 2],
    [[1, 2, 3, 4], 95, 4],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95, 10],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50, 5],
  ] as const)('of %j at p%i is %s', (values, p, expected) => {
    expect(percentile(values, p)).toBe(expected);
  });
});
