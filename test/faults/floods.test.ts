// Floods against the real server process (issue 8): the per-phone hop and question rate limits
// answer a polite END and log the hop as 'limited'; one phone flooding cannot starve the others;
// and the global bound on generations (OLLAMA_MAX_CONCURRENT, and ANSWER_MAX_WAIT_MINUTES of backlog) turns the
// overflow away at once with the "busy" screen rather than letting it run into the deadline.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeOllama, startFakeOllama } from '../helpers/fake-ollama.ts';
import { type RedisServer, startRedisServer } from '../helpers/redis-server.ts';
import { countRows, crashLines, type FaultGateway, settledRows, startFaultGateway } from './fault-gateway.ts';
import { createDialer, DEADLINE_MS, fault, SCREENS, sleep, startingWith } from './support.ts';

const HOP_RATE = 10;
const QUESTION_RATE = 2;
const MAIN = startingWith(SCREENS.main);

let redis: RedisServer;
let fake: FakeOllama;
let gw: FaultGateway;
beforeAll(async () => {
  redis = await startRedisServer();
  fake = await startFakeOllama({ answer: 'Plant maize at the start of the long rains.' });
  gw = await startFaultGateway({
    REDIS_URL: redis.url,
    OLLAMA_HOST: fake.url,
    HOP_RATE_PER_MINUTE: String(HOP_RATE),
    QUESTION_RATE_PER_MINUTE: String(QUESTION_RATE),
    ANSWER_CACHE_TTL_SECONDS: '0',
  });
});
afterAll(async () => {
  expect(crashLines(gw?.output() ?? '')).toEqual([]);
  await gw?.dispose();
  await fake?.close();
  await redis?.dispose();
});

/** The limits count per clock minute: keep a burst from straddling two. */
async function awayFromMinuteEdge(): Promise<void> {
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 50_000) await sleep(60_000 - intoMinute + 100);
}

const limitedRows = (phoneSessions: string) =>
  countRows(
    gw.dbPath,
    "SELECT count(*) AS n FROM hops WHERE outcome = 'limited' AND session_id LIKE ?",
    `${phoneSessions}%`,
  );

describe('floods', () => {
  it('per-phone hop rate: a polite END past the limit, logged as limited', () =>
    fault(`Hop flood from one phone (HOP_RATE_PER_MINUTE=${HOP_RATE})`, async (t) => {
      await awayFromMinuteEdge();
      const hop = createDialer(gw.url, t, { phoneNumber: '+254711000300' });
      const replies = [];
      for (let i = 0; i < HOP_RATE + 4; i++)
        replies.push((await hop({ sessionId: `hopflood-${i}`, text: '' })).body);
      expect(replies.slice(0, HOP_RATE).every((b) => MAIN.test(b))).toBe(true);
      expect(replies.slice(HOP_RATE)).toEqual(Array(4).fill(SCREENS.limited));
      t.injected = true;
      t.rowsExpected = t.hops;
      t.rowsFound = await settledRows(gw.dbPath, t.hops, {
        sql: "SELECT count(*) AS n FROM hops WHERE session_id LIKE 'hopflood-%'",
      });
      expect(limitedRows('hopflood-')).toBe(4);
      t.note = `${HOP_RATE} served, 4 limited (rows with outcome 'limited': ${limitedRows('hopflood-')})`;
    }));

  it('per-phone question rate: the question past the limit gets a polite END, logged as limited', () =>
    fault(`Question flood from one phone (QUESTION_RATE_PER_MINUTE=${QUESTION_RATE})`, async (t) => {
      await awayFromMinuteEdge();
      const hop = createDialer(gw.url, t, { phoneNumber: '+254711000400' });
      const answers = [];
      for (let i = 0; i <= QUESTION_RATE; i++) {
        const sessionId = `qflood-${i}`;
        await hop({ sessionId, text: '' });
        await hop({ sessionId, text: '1' });
        answers.push((await hop({ sessionId, text: `1*when do I plant maize ${i}` })).body);
      }
      for (const a of answers.slice(0, QUESTION_RATE)) expect(a).toMatch(/^CON Plant maize/);
      expect(answers[QUESTION_RATE]).toBe(SCREENS.limited);
      t.injected = true;
      t.rowsExpected = t.hops;
      t.rowsFound = await settledRows(gw.dbPath, t.hops, {
        sql: "SELECT count(*) AS n FROM hops WHERE session_id LIKE 'qflood-%'",
      });
      expect(limitedRows('qflood-')).toBe(1);
    }));

  it('one phone flooding does not starve the others', () =>
    fault('One phone floods (150 hops at once), 5 others dial', async (t) => {
      await awayFromMinuteEdge();
      const flooder = createDialer(gw.url, t, { phoneNumber: '+254711000500' });
      const flood = Promise.all(
        Array.from({ length: 150 }, (_, i) => flooder({ sessionId: `flood-${i}`, text: '' })),
      );
      const others = await Promise.all(
        [1, 2, 3, 4, 5].map(async (n) => {
          const hop = createDialer(gw.url, t, { phoneNumber: `+25471100060${n}` });
          const sessionId = `other-${n}`;
          const walk = [
            await hop({ sessionId, text: '' }),
            await hop({ sessionId, text: '1' }),
            await hop({ sessionId, text: `1*best time to plant maize ${n}` }),
          ];
          return walk;
        }),
      );
      const flooded = await flood;
      t.injected = flooded.filter((r) => r.body === SCREENS.limited).length >= 150 - HOP_RATE;
      for (const walk of others) {
        expect(walk[0]?.body).toMatch(MAIN);
        expect(walk[1]?.body).toMatch(startingWith(SCREENS.ask));
        expect(walk[2]?.body).toMatch(/^CON Plant maize/);
      }
      const othersMax = Math.max(...others.flat().map((r) => r.ms));
      expect(othersMax).toBeLessThan(DEADLINE_MS);
      t.rowsExpected = t.hops;
      t.rowsFound = await settledRows(gw.dbPath, t.hops, {
        sql: "SELECT count(*) AS n FROM hops WHERE session_id LIKE 'flood-%' OR session_id LIKE 'other-%'",
      });
      t.note =
        `flooder: ${flooded.filter((r) => r.body === SCREENS.limited).length} limited, max ${Math.max(...flooded.map((r) => r.ms))} ms; ` +
        `others: all served, max ${othersMax} ms`;
    }));

  it('the global bound on generations answers "busy" at once, not by timing out', () =>
    fault(
      'Generation flood (1 slot, answers thought to take 30 s, ANSWER_MAX_WAIT_MINUTES=1, 6 askers)',
      async (t) => {
        // A model slow enough that every admitted question outlives the hop deadline.
        const slow = await startFakeOllama({ answer: 'Rain comes in March.', firstTokenMs: 4_000 });
        const bounded = await startFaultGateway({
          OLLAMA_HOST: slow.url,
          OLLAMA_MAX_CONCURRENT: '1',
          // Until one is measured, an answer is thought to take 50 ms per num_predict token: 30 s.
          // The third asker's answer would be 90 s away, past the one minute allowed: busy.
          OLLAMA_NUM_PREDICT: '600',
          ANSWER_MAX_WAIT_MINUTES: '1',
          ANSWER_CACHE_TTL_SECONDS: '0',
          ANSWER_TIMEOUT_MS: '6000',
        });
        try {
          const askers = [1, 2, 3, 4, 5, 6].map((n) => ({
            hop: createDialer(bounded.url, t, { phoneNumber: `+25471100070${n}` }),
            sessionId: `gen-${n}`,
          }));
          for (const a of askers) {
            await a.hop({ sessionId: a.sessionId, text: '' });
            await a.hop({ sessionId: a.sessionId, text: '1' });
          }
          const asked = await Promise.all(
            askers.map((a, i) => a.hop({ sessionId: a.sessionId, text: `1*when does the rain come ${i}` })),
          );
          const busy = asked.filter((r) => r.body === SCREENS.failure('busy'));
          const waiting = asked.filter((r) => r.body === SCREENS.thinking);
          expect(busy).toHaveLength(4); // 1 running + 1 queued within the minute; the rest turned away
          expect(waiting).toHaveLength(2);
          for (const r of busy) expect(r.ms, 'busy at once').toBeLessThan(500);
          t.injected = slow.generations().length === 1;
          t.rowsExpected = t.hops;
          t.rowsFound = await settledRows(bounded.dbPath, t.hops);
          t.note = `busy: ${busy.length} (max ${Math.max(...busy.map((r) => r.ms))} ms), still thinking: ${waiting.length} (${Math.max(...waiting.map((r) => r.ms))} ms)`;
        } finally {
          await bounded.dispose();
          await slow.close();
        }
      },
    ));
});
