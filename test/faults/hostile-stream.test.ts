// A hostile or corrupt model stream against the real server process (issue 15 items 10 and 16).
// A 2.1 MB stream: read only to a few times num_predict's worth of text (cleaned as it comes, not
// re-cleaned whole per chunk), so other hops stay quick, the stored answer stays small and the API
// call keeps its answer timeout. A corrupt line in an otherwise normal stream: a failure, never
// cached, and nothing but the logger's JSON lines on stdout.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_CHARS_PER_TOKEN } from '../../src/inference/generation.ts';
import { type FakeOllama, startFakeOllama } from '../helpers/fake-ollama.ts';
import { crashLines, type FaultGateway, settledRows, startFaultGateway } from './fault-gateway.ts';
import { createDialer, fault, SCREENS } from './support.ts';

const ANSWER =
  'Malaria is spread by the bite of an infected mosquito. Sleep under a treated net every night.';
const NUM_PREDICT = 150;
const ANSWER_TIMEOUT_MS = 2000;

let fake: FakeOllama;
let gw: FaultGateway;
beforeAll(async () => {
  fake = await startFakeOllama({ answer: ANSWER });
  gw = await startFaultGateway({
    OLLAMA_HOST: fake.url,
    OLLAMA_NUM_PREDICT: String(NUM_PREDICT),
    ANSWER_TIMEOUT_MS: String(ANSWER_TIMEOUT_MS),
    ANSWER_CACHE_TTL_SECONDS: '3600',
    QUESTION_RATE_PER_MINUTE: '0',
    HOP_RATE_PER_MINUTE: '0',
  });
});
afterAll(async () => {
  await gw?.dispose();
  await fake?.close();
});

describe('hostile model streams', () => {
  it('a 2.1 MB stream: other hops stay quick, the answer is capped, the API keeps its timeout', () =>
    fault('Ollama floods a 2.1 MB stream', async (t) => {
      fake.set({ flood: { chunks: 2100, chars: 1000 } });
      const hop = createDialer(gw.url, t, { phoneNumber: '+254712300001' });
      // Menu hops of other sessions all the while: the event loop must stay free.
      let probing = true;
      let probeMax = 0;
      let probes = 0;
      const probe = (async () => {
        for (let i = 0; probing; i++) {
          const r = await hop({ sessionId: `flood-probe-${i}`, text: '' });
          probeMax = Math.max(probeMax, r.ms);
          probes++;
          await new Promise((res) => setTimeout(res, 25));
        }
      })();
      await hop({ sessionId: 'flood-1', text: '' });
      await hop({ sessionId: 'flood-1', text: '1' });
      const asked = await hop({ sessionId: 'flood-1', text: '1*tell me everything' });
      expect(asked.body.startsWith('CON ')).toBe(true);
      const started = Date.now();
      const api = await fetch(`${gw.url}/api/query`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ user_id: 'flood-api', query: 'and everything else' }),
      });
      const apiMs = Date.now() - started;
      await api.text();
      probing = false;
      await probe;
      t.injected = fake.generations().some((g) => g.closedEarly);
      expect(apiMs, 'the API call ends within its answer timeout').toBeLessThan(ANSWER_TIMEOUT_MS + 1000);
      const rows = await settledRows(gw.dbPath, 2, {
        sql: "SELECT count(*) AS n FROM questions WHERE question IN ('tell me everything', 'and everything else')",
        params: [],
      });
      expect(rows).toBe(2);
      const longest = await settledRows(gw.dbPath, 0, {
        sql: 'SELECT max(length(answer)) AS n FROM questions',
        params: [],
      });
      expect(longest).toBeLessThanOrEqual(NUM_PREDICT * MAX_CHARS_PER_TOKEN);
      t.rowsExpected = t.hops;
      t.rowsFound = await settledRows(gw.dbPath, t.hops, {
        sql: 'SELECT count(*) AS n FROM hops',
        params: [],
      });
      t.note = `${probes} probe hops during it, max ${probeMax} ms; API call ${apiMs} ms (answer timeout ${ANSWER_TIMEOUT_MS}); longest stored answer ${longest} chars (cap ${NUM_PREDICT * MAX_CHARS_PER_TOKEN})`;
      fake.set({ flood: null });
    }));

  it('a corrupt line in the stream is a failure, never cached, and nothing but the logger writes to stdout', () =>
    fault('Ollama corrupt line mid-stream', async (t) => {
      fake.set({ corruptLineAfterTokens: 2, flood: null });
      const before = fake.generations().length;
      const ask = async (sessionId: string) => {
        const hop = createDialer(gw.url, t, { phoneNumber: `+2547123000${sessionId.length}` });
        await hop({ sessionId, text: '' });
        await hop({ sessionId, text: '1' });
        return hop({ sessionId, text: '1*is a corrupt answer cached' });
      };
      const first = await ask('corrupt-1');
      expect(first.body).toBe(SCREENS.failure('error'));
      const again = await ask('corrupt-22');
      expect(again.body).toBe(SCREENS.failure('error')); // asked of the model again: not cached
      t.injected = fake.generations().length - before === 2;
      expect(t.injected).toBe(true);
      const failed = await settledRows(gw.dbPath, 2, {
        sql: "SELECT count(*) AS n FROM questions WHERE question = 'is a corrupt answer cached' AND outcome = 'error'",
        params: [],
      });
      expect(failed).toBe(2);
      const notJson = gw
        .stdout()
        .split('\n')
        .filter((l) => l.trim() !== '')
        .filter((l) => {
          try {
            return typeof (JSON.parse(l) as { level?: unknown }).level !== 'number';
          } catch {
            return true;
          }
        });
      expect(notJson, 'stdout holds only the logger').toEqual([]);
      t.rowsExpected = t.hops;
      t.rowsFound = await settledRows(gw.dbPath, t.hops, {
        sql: "SELECT count(*) AS n FROM hops WHERE session_id LIKE 'corrupt-%'",
        params: [],
      });
      t.note = `screen ${JSON.stringify(first.body.split('\n')[0])} both times; 2 model requests, 2 error rows; ${notJson.length} non-log stdout lines`;
      fake.set({ corruptLineAfterTokens: null });
    }));

  it('left nothing crashed or unhandled in the output', () => {
    expect(gw.child.exitCode).toBeNull();
    expect(crashLines(gw.output())).toEqual([]);
  });
});
