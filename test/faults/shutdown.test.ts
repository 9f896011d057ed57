// The process stopped under load (issue 8). SIGTERM with many question hops in flight: each is
// answered, the log queue is flushed, the exit code is 0. SIGKILL under a stream of hops: the
// restarted gateway has every row but those of the last flush interval (LOG_FLUSH_MS), measured.
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeOllama, startFakeOllama } from '../helpers/fake-ollama.ts';
import { type FaultGateway, queryRows, settledRows, startFaultGateway } from './fault-gateway.ts';
import { createDialer, fault, type HopResult, sleep, until } from './support.ts';

let fake: FakeOllama | undefined;
const gateways: FaultGateway[] = [];
afterEach(async () => {
  for (const g of gateways.splice(0)) await g.dispose();
  await fake?.close();
  fake = undefined;
});

const IN_FLIGHT = 30;
const FLUSH_MS = 250;

describe('stopping the process', () => {
  it('SIGTERM with hops in flight: each answered, queue flushed, exit 0', () =>
    fault(`SIGTERM with ${IN_FLIGHT} question hops in flight`, async (t) => {
      // ~0.4 s to the first token, ~0.5 s of tokens: every question hop is in flight for ~0.9 s.
      fake = await startFakeOllama({
        answer: 'Boil drinking water for one minute, then keep it covered in a clean container.',
        firstTokenMs: 400,
        tokenMs: 35,
      });
      const gw = await startFaultGateway({
        OLLAMA_HOST: fake.url,
        OLLAMA_MAX_CONCURRENT: '64',
        QUESTION_RATE_PER_MINUTE: '0',
        HOP_RATE_PER_MINUTE: '0',
        ANSWER_CACHE_TTL_SECONDS: '0',
      });
      gateways.push(gw);
      const hop = createDialer(gw.url, t);
      const sessions = Array.from({ length: IN_FLIGHT }, (_, i) => `term-${i}`);
      // A phone each: one phone has one question at the model at a time (issue 13).
      const phone = (i: number) => `+2547110${String(i).padStart(5, '0')}`;
      await Promise.all(sessions.map((s, i) => hop({ sessionId: s, phoneNumber: phone(i), text: '' })));
      await Promise.all(sessions.map((s, i) => hop({ sessionId: s, phoneNumber: phone(i), text: '1' })));

      const asked = sessions.map((s, i) =>
        hop({ sessionId: s, phoneNumber: phone(i), text: `1*how do I make water safe ${i}` }),
      );
      await until(() => fake?.generations().length === IN_FLIGHT, 5_000, 'every question at the model');
      const exit = new Promise<number | null>((resolve) => gw.child.once('exit', (code) => resolve(code)));
      const signalledAt = Date.now();
      gw.child.kill('SIGTERM');
      t.injected = true;
      const replies = await Promise.all(asked);
      const code = await exit;
      for (const r of replies) expect(r.body).toMatch(/^CON Boil drinking water/);
      expect(code).toBe(0);
      expect(gw.output()).toMatch(/"msg":"stopped"/);
      expect(gw.output()).not.toMatch(/closed with rows unwritten/);

      t.rowsExpected = t.hops;
      t.rowsFound = await settledRows(gw.dbPath, t.hops, { timeoutMs: 1_000 });
      const questions = await settledRows(gw.dbPath, IN_FLIGHT, {
        sql: 'SELECT count(*) AS n FROM questions',
        timeoutMs: 1_000,
      });
      expect(questions).toBe(IN_FLIGHT);
      t.note = `exit ${code} ${Date.now() - signalledAt} ms after SIGTERM; ${questions} question rows`;
    }));

  it('SIGKILL: a restart loses at most the rows of the last flush interval', () =>
    fault(`SIGKILL under load (LOG_FLUSH_MS=${FLUSH_MS})`, async (t) => {
      const gw = await startFaultGateway({ LOG_FLUSH_MS: String(FLUSH_MS), HOP_RATE_PER_MINUTE: '0' });
      gateways.push(gw);
      const hop = createDialer(gw.url, t);
      const answered = new Map<string, HopResult>();
      let killedAt = Number.POSITIVE_INFINITY;
      let cut = 0;
      // Eight phones dialling without pause: each hop a new session, so its row is identifiable.
      const workers = Array.from({ length: 8 }, async () => {
        for (let i = 0; i < 100_000 && Date.now() < killedAt; i++) {
          const sessionId = `kill-${randomUUID()}`;
          try {
            const r = await hop({ sessionId, text: '' });
            if (r.at <= killedAt) answered.set(sessionId, r);
          } catch {
            cut++; // the reply never came: the process died under it (not counted as answered)
            return;
          }
        }
      });
      await sleep(1_200 + Math.floor(Math.random() * FLUSH_MS));
      killedAt = Date.now();
      gw.child.kill('SIGKILL');
      t.injected = true;
      await Promise.all(workers);

      // The same database file, a new process: SQLite recovers the WAL; the writer carries on.
      const again = await startFaultGateway({ LOG_FLUSH_MS: String(FLUSH_MS) }, gw.dir);
      gateways.unshift(again);
      expect((await createDialer(again.url, t)({ sessionId: 'after-restart', text: '' })).body).toMatch(
        /^CON /,
      );
      const rows = queryRows<{ session_id: string; n: number }>(
        again.dbPath,
        "SELECT session_id, count(*) AS n FROM hops WHERE session_id LIKE 'kill-%' GROUP BY session_id",
      );
      const found = new Set(rows.map((r) => r.session_id));
      expect(
        rows.filter((r) => r.n > 1),
        'no row doubled',
      ).toEqual([]);
      const lost = [...answered.keys()].filter((s) => !found.has(s));
      // Rows recorded after the last completed flush: replies that arrived in the last interval
      // before the kill, plus slack for a timer that fires late on a busy event loop.
      const windowMs = FLUSH_MS + 150;
      const inLastInterval = [...answered.values()].filter((r) => r.at >= killedAt - windowMs).length;
      t.rowsExpected = answered.size;
      t.rowsFound = answered.size - lost.length;
      t.allowedLoss = inLastInterval;
      const lastLost = Math.max(0, ...lost.map((s) => killedAt - (answered.get(s)?.at ?? killedAt)));
      t.note =
        `${answered.size} hops answered before the kill, ${lost.length} rows lost ` +
        `(${inLastInterval} answered in the last ${windowMs} ms; oldest lost reply ${lastLost} ms before the kill); ` +
        `${cut} hops cut by the kill, ${found.size - (answered.size - lost.length)} of them logged`;
      expect(lastLost).toBeLessThanOrEqual(windowMs);
    }));
});
