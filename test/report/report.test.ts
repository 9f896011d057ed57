// The report's figures on the hand-worked dataset of dataset.ts, every expected number worked out
// by hand below (local time UTC+3; the window 2026-01-01 .. 2026-01-10, "now" Jan 10 20:00).
import { beforeAll, describe, expect, it } from 'vitest';
import { emptyFunnel, type FunnelFigures } from '../../src/report/funnel.ts';
import { openLogReadOnly } from '../../src/report/read.ts';
import { buildReport, type DayFigures, percentile, type Report } from '../../src/report/report.ts';
import { formatReportText } from '../../src/report/report-text.ts';
import { useSeededLogFile } from '../log/fixtures.ts';
import { DAYS, ENGAGEMENT_TOTAL, NOW, seedDataset, TZ } from './dataset.ts';

let report: Report;
const file = useSeededLogFile(seedDataset);

beforeAll(() => {
  const db = openLogReadOnly(file.path);
  report = buildReport(db, { days: DAYS, now: NOW, tzOffsetMinutes: TZ });
  db.close();
});

const ZERO: Omit<DayFigures, 'day'> = {
  ...{ dialers: 0, sessions: 0, newUsers: 0, returningUsers: 0, retentionD1: null, retentionD7: null },
  ...{ sessionsPerUser: null, questions: 0, apiQuestions: 0, questionsPerUser: null },
  ...{ answered: { model: 0, knowledge: 0, cache: 0, faq: 0 }, failedAnswers: 0, answerFailures: {} },
  ...{ modelP50Ms: null, modelP95Ms: null },
  ...{ deadlineCuts: 0, cacheHits: 0, rated: 0, helpful: 0, helpfulRate: null, quotaHits: 0 },
  ...{ tokensIn: 0, tokensOut: 0, tokens: 0 },
  ...emptyFunnel(),
};

/** The funnel of phones offered (all on the quota screen, in intent mode), accepted and declined. */
const intent = (offered: number, accepted: number, declined: number): Partial<FunnelFigures> => ({
  ...{ offered, offeredFromQuota: offered, accepted, declined },
  ...{ conversionRate: accepted / offered, conversionBasis: 'intent' },
});

const src = (model: number, knowledge: number, cache: number, faq: number) => ({
  answered: { model, knowledge, cache, faq },
});

// Retention: a cohort's day-1 figure is known once D+1 < Jan 10, its day-7 once D+7 < Jan 10.
// Jan 4 and Jan 6..8 had nothing logged: they are not in perDay (emptyDays below).
const EXPECTED_DAYS: DayFigures[] = [
  {
    ...ZERO,
    day: '2026-01-01',
    // A, B, C (C twice); A and C are new, B came first on Dec 30.
    ...{ dialers: 3, sessions: 4, newUsers: 2, returningUsers: 1, sessionsPerUser: 4 / 3 },
    // Cohort {A, C}: A is back on Jan 2 (and Jan 5), C never.
    ...{ retentionD1: 1 / 2, retentionD7: 1 / 2 },
    // q1 and q2 from the model (1000, 3000 ms cut), q3 cached, q7 from the FAQ.
    ...{ questions: 4, questionsPerUser: 4 / 3, ...src(2, 0, 1, 1), modelP50Ms: 1000, modelP95Ms: 3000 },
    ...{ deadlineCuts: 1, cacheHits: 1 },
    // q1 q3 q7 helpful, q2 not. A shown the offer, declined it.
    ...{ rated: 4, helpful: 3, helpfulRate: 3 / 4, quotaHits: 1, ...intent(1, 0, 1) },
    ...{ tokensIn: 30, tokensOut: 15, tokens: 45 },
  },
  {
    ...ZERO,
    day: '2026-01-02',
    // A (returning) and D (new). Cohort {D}: not on Jan 3, back on Jan 9 (= D+7).
    ...{ dialers: 2, sessions: 2, newUsers: 1, returningUsers: 1, sessionsPerUser: 1 },
    ...{ retentionD1: 0, retentionD7: 1 },
    // q4 from the model (4000 ms), q8 from the FAQ; q5 came by the API.
    ...{ questions: 2, apiQuestions: 1, questionsPerUser: 1, ...src(1, 0, 0, 1) },
    ...{ modelP50Ms: 4000, modelP95Ms: 4000 },
    // D and A shown the offer; D accepted; A's decline was on Jan 1, before this offer.
    ...{ rated: 2, helpful: 1, helpfulRate: 1 / 2, quotaHits: 2, ...intent(2, 1, 0) },
    // q4 (5 + 5) and the API question (100 + 50).
    ...{ tokensIn: 105, tokensOut: 55, tokens: 160 },
  },
  {
    ...ZERO,
    day: '2026-01-03',
    // F at 00:30 local. Cohort {F}: not back on Jan 4; day 7 (Jan 10) not over yet.
    ...{ dialers: 1, sessions: 1, newUsers: 1, retentionD1: 0, sessionsPerUser: 1 },
    // "1", "a b c d" and the long question, all from the model: 1200 1300 2800 ms.
    ...{ questions: 3, questionsPerUser: 3, ...src(3, 0, 0, 0), modelP50Ms: 1300, modelP95Ms: 2800 },
    ...{ rated: 1, helpful: 0, helpfulRate: 0, tokensIn: 3, tokensOut: 3, tokens: 6 },
  },
  {
    ...ZERO,
    day: '2026-01-05',
    // A (returning) and G (new, from the notification alone). Cohort {G}: not back on Jan 6.
    ...{ dialers: 2, sessions: 2, newUsers: 1, returningUsers: 1, retentionD1: 0, sessionsPerUser: 1 },
    // Both of A's questions failed: Ollama down, then a timeout.
    ...{ questions: 2, questionsPerUser: 1, failedAnswers: 2, answerFailures: { down: 1, timeout: 1 } },
  },
  {
    ...ZERO,
    day: '2026-01-09',
    // D (returning) and E (new); E's day 1 is today, not over: null.
    ...{ dialers: 2, sessions: 2, newUsers: 1, returningUsers: 1, sessionsPerUser: 1 },
    // q6 from the model (500 ms), q9 with a passage (2500 ms); q12 busy, q13 empty.
    ...{ questions: 4, questionsPerUser: 2, ...src(1, 1, 0, 0), modelP50Ms: 500, modelP95Ms: 2500 },
    ...{ failedAnswers: 2, answerFailures: { busy: 1, empty: 1 } },
    ...{ rated: 2, helpful: 1, helpfulRate: 1 / 2, ...intent(1, 1, 0) },
    // q6 1 + 1, q9 30 + 20, q13 10 + 0.
    ...{ tokensIn: 41, tokensOut: 21, tokens: 62 },
  },
  {
    ...ZERO,
    day: '2026-01-10',
    dialers: 1,
    sessions: 1,
    returningUsers: 1,
    sessionsPerUser: 1,
    questionsPerUser: 0,
  },
];

describe('the report', () => {
  it('covers the window ending today, in local days, the empty days collapsed', () => {
    expect(report).toMatchObject({ from: '2026-01-01', to: '2026-01-10', days: 10, tzOffsetMinutes: TZ });
    expect(report.perDay.map((d) => d.day)).toEqual(EXPECTED_DAYS.map((d) => d.day));
    expect(report.emptyDays).toEqual([
      { from: '2026-01-04', to: '2026-01-04', days: 1 },
      { from: '2026-01-06', to: '2026-01-08', days: 3 },
    ]);
  });

  it.each(EXPECTED_DAYS.map((d) => [d.day, d] as const))('has the figures of %s', (day, expected) => {
    const got = report.perDay.find((d) => d.day === day);
    expect(got).toEqual(expected);
  });

  it('has the totals of the window', () => {
    expect(report.total).toEqual({
      ...ZERO,
      // A B C D E F G; new in the window: A C D F G E; B is the one returning user.
      ...{ dialers: 7, sessions: 12, newUsers: 6, returningUsers: 1, sessionsPerUser: 12 / 7 },
      // Day 1, cohorts Jan 1 (1 of 2), Jan 2 (0/1), Jan 3 (0/1), Jan 5 (0/1): 1 of 5.
      // Day 7, cohorts Jan 1 (1 of 2), Jan 2 (1 of 1): 2 of 3.
      ...{ retentionD1: 1 / 5, retentionD7: 2 / 3 },
      // 15 USSD questions: 11 answered (7 model, 1 knowledge, 1 cache, 2 FAQ), 4 failed.
      ...{ questions: 15, apiQuestions: 1, questionsPerUser: 15 / 7, ...src(7, 1, 1, 2) },
      ...{ failedAnswers: 4, answerFailures: { down: 1, timeout: 1, busy: 1, empty: 1 } },
      ...{ deadlineCuts: 1, cacheHits: 1, rated: 9, helpful: 5, helpfulRate: 5 / 9 },
      // Phones offered in the window: A, D, E (B's offer was before it); D and E accepted, A declined.
      ...{ quotaHits: 3, ...intent(3, 2, 1) },
      ...{ tokensIn: 179, tokensOut: 94, tokens: 273 },
    });
  });

  it('gives latency per source and failures by kind (issue 16 item 8)', () => {
    expect(report.answers).toEqual({
      bySource: [
        // Model: 500 1000 1200 1300 2800 3000 4000 ms, nearest rank p50 = 4th, p95 = 7th; first words 300 ms.
        {
          source: 'model',
          answered: 7,
          firstP50Ms: 300,
          firstP95Ms: 300,
          wholeP50Ms: 1300,
          wholeP95Ms: 4000,
        },
        {
          source: 'knowledge',
          answered: 1,
          firstP50Ms: 800,
          firstP95Ms: 800,
          wholeP50Ms: 2500,
          wholeP95Ms: 2500,
        },
        // No first words apart: the whole answer.
        { source: 'cache', answered: 1, firstP50Ms: 2, firstP95Ms: 2, wholeP50Ms: 2, wholeP95Ms: 2 },
        { source: 'faq', answered: 2, firstP50Ms: 1, firstP95Ms: 2, wholeP50Ms: 1, wholeP95Ms: 2 },
      ],
      failures: [
        { kind: 'busy', count: 1, p50Ms: 3, p95Ms: 3 },
        { kind: 'down', count: 1, p50Ms: 5, p95Ms: 5 },
        { kind: 'empty', count: 1, p50Ms: 1200, p95Ms: 1200 },
        { kind: 'timeout', count: 1, p50Ms: 30_000, p95Ms: 30_000 },
      ],
    });
  });

  it('gives retention by the week phones were first seen', () => {
    const r = (kept: number, eligible: number) => ({
      kept,
      eligible,
      rate: eligible ? kept / eligible : null,
    });
    expect(report.cohorts).toEqual([
      // A C D F: back on day 1 only A; within 7 days A and D of the three whose day 7 is over.
      { week: '2025-12-29', phones: 4, day1: r(1, 4), day7: r(2, 3), day28: r(0, 0) },
      // G (not back on Jan 6), E (its day 1, Jan 10, is today).
      { week: '2026-01-05', phones: 2, day1: r(0, 1), day7: r(0, 0), day28: r(0, 0) },
    ]);
  });

  it('says where sessions end and how many hops they made', () => {
    expect(report.sessionEnds).toEqual({
      sessions: 12,
      screens: [
        { screen: 'answer', sessions: 4 },
        { screen: 'main', sessions: 4 },
        { screen: 'offer', sessions: 2 },
        { screen: '(none)', sessions: 1 },
        { screen: 'ask', sessions: 1 },
      ],
      hops: [
        ...[
          ['0', 1],
          ['1', 9],
          ['2', 0],
          ['3', 1],
          ['4', 0],
          ['5-9', 0],
          ['10+', 1],
        ].map(([hops, sessions]) => ({
          hops,
          sessions,
        })),
      ],
    });
  });

  it('lists topics without noise, grouped, with their helpful rate (issue 16 item 9)', () => {
    const t = (text: string, count: number, variants: number, rated: number, helpful: number) => ({
      ...{ text, count, variants, rated, helpful, helpfulRate: rated ? helpful / rated : null },
    });
    expect(report.topQuestions).toEqual([
      t('how do i plant maize', 3, 1, 2, 2), // q1 q3 q10
      t('mbolea bora', 2, 1, 0, 0), // q12 q13
      t('what is ors', 2, 2, 2, 2), // "What is ORS?", "what's ORS"
      t('bei ya mbolea ni kiasi gani', 1, 1, 1, 0),
      t('fertilizer price', 1, 1, 0, 0),
      t('how to prevent malaria', 1, 1, 1, 1),
      t('maize disease', 1, 1, 1, 0),
      t('maize price', 1, 1, 0, 0),
      t('please explain tomato farming in the dry season with little…', 1, 1, 1, 0),
      t('when to plant maize', 1, 1, 1, 0), // "when" tells it from "how"
    ]);
    expect(report.topKeywords.slice(0, 6)).toEqual([
      { text: 'maize', count: 6 },
      { text: 'plant', count: 4 },
      { text: 'mbolea', count: 3 },
      ...['bora', 'ors', 'price'].map((text) => ({ text, count: 2 })),
    ]);
  });

  it('prints aligned tables with the same figures, the empty days one line each run', () => {
    const text = formatReportText(report);
    expect(text).toContain('Interaction report 2026-01-01 .. 2026-01-10 (10 days, UTC+03:00)');
    const lines = text.split('\n');
    const engageHeader = lines.findIndex((l) => l.startsWith('day ') && l.includes('dialers'));
    const totalRow = lines.slice(engageHeader).find((l) => l.startsWith('total'));
    expect(totalRow?.split(/\s+/)).toEqual(ENGAGEMENT_TOTAL);
    expect(lines.slice(engageHeader, engageHeader + 12).map((l) => l.split(/\s+/)[0])).toEqual([
      'day',
      expect.stringMatching(/^-+$/),
      '2026-01-01',
      '2026-01-02',
      '2026-01-03',
      '', // "  (nothing logged: 2026-01-04)"
      '2026-01-05',
      '',
      '2026-01-09',
      '2026-01-10',
      expect.stringMatching(/^-+$/),
      'total',
    ]);
    expect(text).toContain('  (nothing logged: 2026-01-04)\n');
    expect(text).toContain('  (nothing logged: 2026-01-06 .. 2026-01-08, 3 days)\n');
    // questions model knowledge cache FAQ failed p50 p95 cuts rated helpful tokens api
    expect(text).toMatch(/\ntotal\s+15\s+7\s+1\s+1\s+2\s+4\s+-\s+-\s+1\s+9\s+56%\s+273\s+1\n/);
    expect(text).toMatch(/\n2026-01-03\s+3\s+3\s+0\s+0\s+0\s+0\s+1300\s+2800\s+0\s+1\s+0%\s+6\s+0\n/);
    expect(text).toMatch(/total\s+3\s+3\s+3\/0\s+2\s+1\s+0\s+0\s+0\s+0\s+0\s+67% intent/);
    expect(text).toMatch(/\n2025-12-29\s+4\s+25% \(1\/4\)\s+67% \(2\/3\)\s+-\n/);
    expect(text).toMatch(/\nmodel\s+7\s+47%\s+300\s+300\s+1300\s+4000\n/);
    expect(text).toContain('Failed answers by kind: 4 of 15 questions (27%)');
    expect(text).toMatch(/\ntimeout\s+1\s+7%\s+30000\s+30000\n/);
    expect(text).toMatch(/\nanswer\s+4\s+33%\n/);
    expect(text).toMatch(/\nhow do i plant maize\s+3\s+1\s+2\s+100%\n/);
    expect(text).not.toMatch(/^2026-01-0[4678]/m);
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
