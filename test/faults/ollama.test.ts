// Model faults against the real server process (issue 8), through the protocol-faithful fake
// Ollama (test/helpers/fake-ollama.ts) and a port with nothing on it. Whatever the model does,
// the question hop gets a friendly CON screen within the deadline, a hung generation's HTTP
// request is closed by the gateway (Ollama's slot freed), and every hop and question is logged.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeKnobs, type FakeOllama, startFakeOllama } from '../helpers/fake-ollama.ts';
import { freePort } from '../helpers/gateway-process.ts';
import { crashLines, type FaultGateway, settledRows, startFaultGateway } from './fault-gateway.ts';
import { createDialer, fault, SCREENS, startingWith, type Tally } from './support.ts';

const ANSWER =
  'Malaria is spread by the bite of an infected mosquito. Sleep under a treated net every night.';
const ANSWER_TIMEOUT_MS = 2000;
const RESET: Partial<FakeKnobs> = {
  models: ['llama3.2:3b'],
  status: null,
  hangBeforeFirstToken: false,
  hangAfterTokens: null,
  closeAfterTokens: null,
  garbageAfterTokens: null,
  errorAfterTokens: null,
};

const DOWN = SCREENS.failure('down');
const FAILED = SCREENS.failure('error');
const THINKING = SCREENS.thinking;
const TOO_LONG = SCREENS.failure('timeout');
/**
 * A stream that broke after a few words: the failure screen, or (engine/step.ts: "a failure after
 * some text: what arrived is the whole answer") those few words shown as the answer.
 */
const BROKEN = (body: string) => body === FAILED || /^CON Malaria\b/.test(body);

interface Case {
  fault: string;
  knobs: Partial<FakeKnobs>;
  /** The screen right after the question. */
  first: string | ((body: string) => boolean);
  /** The request hangs: the gateway must close it itself. */
  hangs?: boolean;
  /** The screen on pressing 1 once the answer's time is up. */
  afterPress?: string;
}

const CASES: Case[] = [
  {
    fault: 'Ollama 404 (model not pulled)',
    knobs: { models: ['qwen2.5:0.5b'] },
    first: DOWN,
    afterPress: DOWN,
  },
  { fault: 'Ollama 500 (runner killed)', knobs: { status: 500 }, first: FAILED, afterPress: FAILED },
  {
    fault: 'Ollama hangs before the first token',
    knobs: { hangBeforeFirstToken: true },
    first: THINKING,
    hangs: true,
    afterPress: TOO_LONG,
  },
  {
    fault: 'Ollama hangs mid-stream',
    knobs: { hangAfterTokens: 3, tokenMs: 20 },
    first: THINKING,
    hangs: true,
  },
  { fault: 'Ollama stream cut (no done chunk)', knobs: { closeAfterTokens: 3 }, first: BROKEN },
  { fault: 'Ollama garbage bytes in the stream', knobs: { garbageAfterTokens: 3 }, first: BROKEN },
  { fault: 'Ollama error inside the stream', knobs: { errorAfterTokens: 2 }, first: BROKEN },
];

let fake: FakeOllama;
let gw: FaultGateway;
beforeAll(async () => {
  fake = await startFakeOllama({ answer: ANSWER });
  gw = await startFaultGateway({
    OLLAMA_HOST: fake.url,
    ANSWER_TIMEOUT_MS: String(ANSWER_TIMEOUT_MS),
    ANSWER_CACHE_TTL_SECONDS: '0',
    QUESTION_RATE_PER_MINUTE: '0',
    OLLAMA_MAX_CONCURRENT: '4',
  });
});
afterAll(async () => {
  await gw?.dispose();
  await fake?.close();
});

/** Walks to the question screen, asks, and (after the answer's time) presses 1. */
async function askThrough(
  t: Tally,
  url: string,
  sessionId: string,
  phoneNumber: string,
  c: Pick<Case, 'first' | 'afterPress' | 'hangs'>,
  onAsked: () => Promise<void> = async () => {},
) {
  const hop = createDialer(url, t, { phoneNumber });
  expect((await hop({ sessionId, text: '' })).status).toBe(200);
  expect((await hop({ sessionId, text: '1' })).body).toMatch(startingWith(SCREENS.ask));
  const question = `1*what spreads malaria ${sessionId}`;
  const asked = await hop({ sessionId, text: question });
  expectScreen(asked.body, c.first);
  await onAsked();
  const next = await hop({ sessionId, text: `${question}*1` });
  if (c.afterPress) expectScreen(next.body, c.afterPress);
  expect(next.body.startsWith('CON ')).toBe(true);
  return { asked, next };
}

describe('Ollama faults', () => {
  it.each(CASES.map((c, i) => ({ ...c, i })))('$fault: a friendly screen in time', (c) =>
    fault(c.fault, async (t) => {
      fake.set({ ...RESET, ...c.knobs });
      const before = fake.generations().length;
      const sessionId = `ollama-${c.i}`;
      const { asked } = await askThrough(t, gw.url, sessionId, `+25471200000${c.i}`, c, async () => {
        const gens = fake.generations().slice(before);
        expect(gens.length).toBeGreaterThan(0);
        if (c.hangs) {
          // The fake holds the request open forever: only the gateway can close it.
          const first = gens[0];
          await Promise.race([first?.settled, new Promise((r) => setTimeout(r, ANSWER_TIMEOUT_MS + 2000))]);
          expect(first?.closedAt, 'hung request closed by the gateway').not.toBeNull();
          expect(first?.closedEarly).toBe(true);
        }
      });
      const gens = fake.generations().slice(before);
      t.injected = gens.length > 0;
      // No request left open, hung or not: every slot the gateway took is given back.
      await Promise.race([Promise.all(gens.map((g) => g.settled)), new Promise((r) => setTimeout(r, 4000))]);
      expect(gens.map((g) => g.closedAt !== null)).toEqual(gens.map(() => true));
      t.rowsExpected = t.hops;
      t.rowsFound = await settledRows(gw.dbPath, t.hops, {
        sql: 'SELECT count(*) AS n FROM hops WHERE session_id = ?',
        params: [sessionId],
      });
      const questions = await settledRows(gw.dbPath, gens.length, {
        sql: "SELECT count(*) AS n FROM questions WHERE session_id = ? AND outcome != 'ok'",
        params: [sessionId],
      });
      expect(questions, 'each failed question logged with its failure').toBe(gens.length);
      t.note = `screen ${JSON.stringify(asked.body.split('\n')[0])}; ${gens.length} model request(s), ${questions} failed question row(s)`;
    }),
  );

  it('Ollama connection refused: a friendly screen in time', () =>
    fault('Ollama connection refused', async (t) => {
      const port = await freePort(); // nothing listens there
      const down = await startFaultGateway({ OLLAMA_HOST: `http://127.0.0.1:${port}` });
      try {
        const ready = await down.readyz();
        t.injected = !ready.body.ollama.ok && /ECONNREFUSED|unreachable/.test(ready.body.ollama.detail);
        expect(ready.status, 'hops can still be served: ready').toBe(200);
        await askThrough(t, down.url, 'refused-1', '+254712000099', { first: DOWN, afterPress: DOWN });
        t.rowsExpected = t.hops;
        t.rowsFound = await settledRows(down.dbPath, t.hops);
        expect(crashLines(down.output())).toEqual([]);
      } finally {
        await down.dispose();
      }
    }));

  it('left nothing crashed or unhandled in the output', () => {
    expect(gw.child.exitCode).toBeNull();
    expect(crashLines(gw.output())).toEqual([]);
  });
});

function expectScreen(body: string, want: string | ((body: string) => boolean)): void {
  if (typeof want === 'string') expect(body).toBe(want);
  else expect(want(body), `unexpected screen ${JSON.stringify(body)}`).toBe(true);
}
