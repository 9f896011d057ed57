// The report's hand-worked dataset, shared by the JSON, text and page tests (issue 17): every
// expected figure is worked out by hand in report.test.ts from the rows below. Local time is UTC+3;
// the window is 2026-01-01 (a Thursday) .. 2026-01-10, "now" is Jan 10 20:00.
import type { SqliteLog } from '../../src/log/sqlite.ts';
import type { QuestionRow } from '../../src/log/types.ts';
import { feedback, hop, question, sessionEnd, tier } from '../log/fixtures.ts';

export const TZ = 180;
/** Epoch ms of a local (UTC+3) time in January 2026; day 0 is Dec 31, -1 is Dec 30. */
export const local = (day: number, h: number, m = 0) => Date.UTC(2026, 0, day, h, m) - TZ * 60_000;
export const NOW = local(10, 20);
export const DAYS = 10;

/** A 500-character question, printed whole in the topics before issue 16 item 9. */
export const LONG_QUESTION = `Please explain ${'tomato farming in the dry season with little water '.repeat(10)}`;

/**
 * The engagement table's total row for the dataset, worked by hand: dialers, sessions, new,
 * returning, back on day 1, within 7, sessions per user, questions, questions per user. The text
 * report and the page must both show exactly this.
 */
export const ENGAGEMENT_TOTAL = ['total', '7', '12', '6', '1', '20%', '67%', '1.71', '15', '2.14'];

export function seedDataset(log: SqliteLog): void {
  // Sessions: id, phone, start, the screens of its hops (the last is where it ended).
  const sessions: [string, string, number, string[]][] = [
    ['s-b0', 'B', local(-1, 10), ['main']], // B's first session, before the window
    ['s-a1', 'A', local(1, 9), ['main', 'ask', 'answer']],
    ['s-b1', 'B', local(1, 10), ['main']],
    ['s-c1', 'C', local(1, 11), ['ask']],
    ['s-c2', 'C', local(1, 15), [...Array(11).fill('main'), 'answer']], // 12 hops
    ['s-a2', 'A', local(2, 23, 50), ['offer']], // 20:50 UTC: still Jan 2 locally
    ['s-d1', 'D', local(2, 8), ['offer']],
    ['s-f1', 'F', local(3, 0, 30), ['answer']], // 21:30 UTC on Jan 2: Jan 3 locally
    ['s-a3', 'A', local(5, 12), ['main']],
    ['s-d2', 'D', local(9, 8), ['main']],
    ['s-e1', 'E', local(9, 9), ['answer']],
    ['s-e2', 'E', local(10, 9), ['main']],
  ];
  for (const [sessionId, phoneHash, at, screens] of sessions)
    for (const [i, screen] of screens.entries())
      log.recordHop(hop({ sessionId, phoneHash, at: at + i * 1000, screen }));
  // G's session is known only from AT's notification: it started 30 s before it ended, on Jan 5.
  log.recordSessionEnd(
    sessionEnd({ sessionId: 's-g1', phoneHash: 'G', at: local(5, 10), durationMs: 30_000 }),
  );

  const q = (id: string, phoneHash: string, at: number, text: string, over: Partial<QuestionRow>) =>
    log.recordQuestion(question({ id, phoneHash, at, question: text, ...over }));
  const tokens = (tokensIn: number, tokensOut: number) => ({ tokensIn, tokensOut });
  const known = (source: 'cache' | 'faq', latencyMs: number) => ({
    source,
    latencyMs,
    ttftMs: null,
    cacheHit: source === 'cache',
    ...tokens(0, 0),
  });
  const failed = (outcome: string, latencyMs: number, tIn = 0) => ({
    outcome,
    latencyMs,
    ttftMs: null,
    ...tokens(tIn, 0),
  });
  q('q0', 'B', local(-1, 10), 'Old question', { latencyMs: 1 });
  // Jan 1
  q('q1', 'A', local(1, 9), 'How do I plant maize?', { latencyMs: 1000, ...tokens(10, 5) });
  q('q2', 'A', local(1, 9, 5), 'When to plant maize', {
    latencyMs: 3000,
    deadlineCut: true,
    ...tokens(20, 10),
  });
  q('q3', 'C', local(1, 11), 'how do i plant MAIZE', known('cache', 2));
  q('q7', 'C', local(1, 11, 1), 'What is ORS?', known('faq', 1));
  // Jan 2
  q('q4', 'D', local(2, 8), 'Bei ya mbolea ni kiasi gani?', { latencyMs: 4000, ...tokens(5, 5) });
  q('q8', 'D', local(2, 8, 5), "what's ORS", known('faq', 2));
  q('q5', 'api-user', local(2, 12), 'Fertilizer price', {
    channel: 'api',
    latencyMs: 99_999,
    ...tokens(100, 50),
  });
  // Jan 3: two inputs that are not questions, and a long one.
  q('q14', 'F', local(3, 0, 40), '1', { latencyMs: 1200, ...tokens(1, 1) });
  q('q15', 'F', local(3, 0, 41), 'a b c d', { latencyMs: 1300, ...tokens(1, 1) });
  q('q16', 'F', local(3, 0, 42), LONG_QUESTION, { latencyMs: 2800, ...tokens(1, 1) });
  // Jan 5: Ollama down, then a timeout.
  q('q10', 'A', local(5, 12), 'how do i plant maize', failed('down', 5));
  q('q11', 'A', local(5, 12, 1), 'Maize price', failed('timeout', 30_000));
  // Jan 9: the queue full, an empty answer, and a model answer with a knowledge passage.
  q('q12', 'D', local(9, 8), 'Mbolea bora', failed('busy', 3));
  q('q13', 'D', local(9, 8, 1), 'Mbolea bora?', failed('empty', 1200, 10));
  q('q6', 'E', local(9, 9), 'Maize disease', { latencyMs: 500, ...tokens(1, 1) });
  q('q9', 'E', local(9, 9, 5), 'How to prevent malaria', {
    latencyMs: 2500,
    ttftMs: 800,
    passages: ['en/malaria.md#Nets'],
    ...tokens(30, 20),
  });

  for (const [questionId, helpful, at] of [
    ['q0', true, local(-1, 10)],
    ['q1', true, local(1, 9)],
    ['q2', false, local(1, 9)],
    ['q3', true, local(1, 11)],
    ['q7', true, local(1, 11)],
    ['q4', false, local(2, 8)],
    ['q8', true, local(2, 8)],
    ['q16', false, local(3, 1)],
    ['q9', true, local(9, 9)],
    ['q6', false, local(9, 9)],
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
    log.recordTier(tier({ phoneHash, event, at, via: 'quota' }));
}
