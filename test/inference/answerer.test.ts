// The answer pipeline against the fake Ollama server with real timing: the hop always gets an
// answer by its deadline, the rest arrives through onProgress, failures are screens (never
// rejections), abandoned streams are closed, and every question is logged.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { InferenceHttpError, InferenceNetworkError } from '../../src/errors.ts';
import { createOllamaModel } from '../../src/inference/ollama.ts';
import { cleanAnswer, paginate } from '../../src/screen/fit.ts';
import { isGsm, septets } from '../../src/screen/gsm7.ts';
import { DEFAULT_KNOBS, type FakeOllama, startFakeOllama } from '../helpers/fake-ollama.ts';
import { askFor, buildAnswerer, capturingLogger, closedPort, MODEL, until } from './support.ts';

/** Deadlines here are short; "on time" allows generous slack for a loaded CI machine. */
const SLACK_MS = 250;

const LONG =
  'Malaria is spread by mosquitoes that bite at night. Sleep under a treated net every night and ' +
  'keep the windows closed after dark. Clear standing water near your home, where mosquitoes breed. ' +
  'If you get a fever, chills or a headache, go to a clinic for a malaria test the same day. ' +
  'Finish all the medicine you are given, even when you feel better.';

let fake: FakeOllama;
beforeAll(async () => {
  fake = await startFakeOllama();
});
afterAll(async () => {
  await fake.close();
});
afterEach(() => {
  fake.set(DEFAULT_KNOBS);
  fake.requests.length = 0;
});

/** Requests that reached the fake for this question (its last chat message). */
function sent(question: string) {
  return fake.generations().filter((r) => {
    const body = r.body as { messages?: { content: string }[] } | null;
    return body?.messages?.at(-1)?.content === question.trim();
  });
}

describe('answers by the hop deadline', () => {
  it('a fast answer on one screen: done, cleaned, logged and cached', async () => {
    fake.set({ answer: '**Sleep** under a treated net \u2013 every night.', tokenMs: 5 });
    const { answerer, log, cache } = buildAnswerer(fake.url);
    const { req } = askFor('How do I prevent malaria?', 2000);
    const p = await answerer.ask(req); // done: it came before the deadline
    expect(p).toEqual({
      id: req.questionId,
      text: 'Sleep under a treated net - every night.',
      done: true,
      source: 'model',
    });
    expect(log.questions).toHaveLength(1);
    expect(log.questions[0]).toMatchObject({
      id: req.questionId,
      sessionId: 'ATUid_test',
      phoneHash: req.phoneHash,
      channel: 'ussd',
      lang: 'en',
      model: MODEL,
      question: 'How do I prevent malaria?',
      answer: 'Sleep under a treated net - every night.',
      tokensOut: 8, // the fake counts words as tokens
      deadlineCut: false,
      cacheHit: false,
      source: 'model',
      outcome: 'ok',
    });
    const row = log.questions[0]!;
    expect(row.tokensIn).toBeGreaterThan(0);
    expect(row.ttftMs).toBeGreaterThanOrEqual(0);
    expect(row.prompt).toMatch(/^system: /);
    expect(row.prompt.endsWith('user: How do I prevent malaria?')).toBe(true);
    expect([...cache.map.values()]).toEqual(['Sleep under a treated net - every night.']);
  });

  it('a long answer resolves once a full page is ready; the rest arrives and pages with nothing lost', async () => {
    fake.set({ answer: LONG, tokenMs: 15 });
    const { answerer, log } = buildAnswerer(fake.url);
    const { req, updates, last } = askFor('How do I prevent malaria?', 3000);
    const started = Date.now();
    const first = await answerer.ask(req);
    expect(Date.now() - started).toBeLessThan(1500); // well before the 3 s deadline
    expect(first.done).toBe(false);
    expect(septets(first.text)).toBeGreaterThan(req.pageSeptets);
    await until(() => last()?.done === true, 5000, 'the final progress');
    const final = last()!;
    expect(final).toMatchObject({ done: true, source: 'model' });
    expect(final.failure).toBeUndefined();
    expect(final.text).toBe(cleanAnswer(LONG));
    expect(final.text.startsWith(first.text)).toBe(true);
    for (const u of updates) expect(final.text.startsWith(u.text)).toBe(true); // it only ever grows
    const pages = paginate(final.text, 160);
    expect(pages.length).toBeGreaterThan(1);
    expect(pages.join(' ')).toBe(final.text);
    expect(log.questions[0]).toMatchObject({ deadlineCut: false, outcome: 'ok', answer: final.text });
  });

  it('a slow model hits the deadline: what is ready is shown, the rest arrives for a later hop', async () => {
    fake.set({ answer: LONG, tokenMs: 25 });
    const { answerer, log } = buildAnswerer(fake.url, { options: { answerTimeoutMs: 10_000 } });
    const { req, last } = askFor('Tell me about malaria', 400);
    const p = await answerer.ask(req);
    expect(Date.now()).toBeLessThan(req.deadline + SLACK_MS);
    expect(p.done).toBe(false);
    expect(p.text.length).toBeGreaterThan(0);
    expect(cleanAnswer(LONG).startsWith(p.text)).toBe(true);
    await until(() => last()?.done === true, 8000, 'the background answer');
    expect(last()?.text).toBe(cleanAnswer(LONG));
    expect(log.questions[0]).toMatchObject({ deadlineCut: true, outcome: 'ok' });
    // The next hop asks again (e.g. after a lost session): the answer is now instant.
    const again = await answerer.ask(askFor('Tell me about malaria!', 300).req);
    expect(again).toMatchObject({ done: true, source: 'cache', text: cleanAnswer(LONG) });
  });

  it('the first token after the deadline: "still thinking", then it completes in the background', async () => {
    fake.set({ answer: 'Boil drinking water for one minute.', firstTokenMs: 700 });
    const { answerer, log } = buildAnswerer(fake.url);
    const { req, last } = askFor('Is river water safe?', 300);
    const p = await answerer.ask(req);
    expect(Date.now()).toBeLessThan(req.deadline + SLACK_MS);
    expect(p).toMatchObject({ id: req.questionId, text: '', done: false, source: 'model' });
    await until(() => last()?.done === true, 5000, 'the background answer');
    expect(last()).toEqual({
      id: req.questionId,
      text: 'Boil drinking water for one minute.',
      done: true,
      source: 'model',
    });
    expect(log.questions[0]?.ttftMs).toBeGreaterThanOrEqual(650);
    expect(fake.generations()[0]?.closedEarly).toBe(false); // it was not abandoned
  });

  it('progress updates are throttled', async () => {
    fake.set({ answer: LONG, tokenMs: 5 });
    const { answerer } = buildAnswerer(fake.url, { options: { progressIntervalMs: 100 } });
    const { req, updates, last } = askFor('q', 1000, { pageSeptets: 20 });
    await answerer.ask(req);
    await until(() => last()?.done === true, 5000);
    // ~60 tokens at 5 ms is ~300 ms of streaming: a handful of updates, not one per token.
    expect(updates.length).toBeLessThanOrEqual(8);
  });
});

describe('failures are screens, never rejections', () => {
  const cases: [string, Partial<typeof DEFAULT_KNOBS>, string][] = [
    ['HTTP 500', { status: 500 }, 'error'],
    ['HTTP 503 (Ollama busy)', { status: 503 }, 'busy'],
    ['a stream cut without done', { answer: LONG, closeAfterTokens: 3 }, 'error'],
    ['an error line mid-stream', { answer: LONG, errorAfterTokens: 3 }, 'error'],
    ['garbage instead of JSON', { garbageAfterTokens: 0 }, 'error'],
    ['nothing usable after cleaning', { answer: '😀 **' }, 'empty'],
  ];
  it.each(cases)('%s → %s', async (_name, knobs, failure) => {
    fake.set(knobs);
    const { answerer, log } = buildAnswerer(fake.url);
    const { req } = askFor('q', 2000);
    const p = await answerer.ask(req);
    expect(p).toMatchObject({ id: req.questionId, done: true, failure, source: 'model' });
    expect(isGsm(p.text)).toBe(true);
    expect(log.questions[0]).toMatchObject({ outcome: failure });
  });

  it('a cut stream keeps the text it had', async () => {
    fake.set({ answer: 'one two three four five', closeAfterTokens: 3 });
    const { answerer } = buildAnswerer(fake.url);
    expect(await answerer.ask(askFor('q', 2000).req)).toMatchObject({ failure: 'error', text: 'one two' });
  });

  it('Ollama down (connection refused) → down, at once', async () => {
    const { answerer } = buildAnswerer(`http://127.0.0.1:${await closedPort()}`);
    // done before its deadline: no waiting for a server that is not there
    expect(await answerer.ask(askFor('q', 2000).req)).toMatchObject({
      done: true,
      failure: 'down',
      text: '',
    });
  });

  it('model not pulled → model-missing, and the operator is told which model, once', async () => {
    fake.set({ models: ['qwen2.5:1.5b'] });
    const { logger, lines } = capturingLogger();
    const { answerer } = buildAnswerer(fake.url, { logger });
    expect(await answerer.ask(askFor('q1', 2000).req)).toMatchObject({ failure: 'model-missing' });
    expect(await answerer.ask(askFor('q2', 2000).req)).toMatchObject({ failure: 'model-missing' });
    const told = lines.filter((l) => l.msg.includes(`ollama pull ${MODEL}`));
    expect(told).toHaveLength(1);
    expect(told[0]?.level).toBe('error');
  });

  it('a hang before the first token: "still thinking" at the deadline, timeout later, request closed', async () => {
    fake.set({ hangBeforeFirstToken: true });
    const { answerer, log } = buildAnswerer(fake.url, { options: { answerTimeoutMs: 900 } });
    const { req, last } = askFor('q', 300);
    const p = await answerer.ask(req);
    expect(Date.now()).toBeLessThan(req.deadline + SLACK_MS);
    expect(p).toMatchObject({ text: '', done: false });
    await until(() => last()?.done === true, 3000, 'the timeout');
    expect(last()).toMatchObject({ done: true, failure: 'timeout' });
    await fake.generations()[0]?.settled;
    expect(fake.generations()[0]?.closedEarly).toBe(true);
    expect(log.questions[0]).toMatchObject({ outcome: 'timeout', deadlineCut: true });
  });

  it('a hang mid-stream: the stall guard ends it, keeps the text, closes the request', async () => {
    fake.set({ answer: 'one two three four five', hangAfterTokens: 3 });
    const { answerer } = buildAnswerer(fake.url, { options: { stallTimeoutMs: 300 } });
    const { req, last } = askFor('q', 200);
    await answerer.ask(req);
    await until(() => last()?.done === true, 3000, 'the stall timeout');
    expect(last()).toMatchObject({ failure: 'timeout', text: 'one two' });
    await fake.generations()[0]?.settled;
    expect(fake.generations()[0]?.closedEarly).toBe(true);
  });
});

describe('protecting the model', () => {
  it('answers busy at once only when the backlog is beyond its longest wait', async () => {
    fake.set({ hangBeforeFirstToken: true });
    const { answerer, log } = buildAnswerer(fake.url, {
      options: { maxConcurrent: 1, maxWaitMs: 5000, priorAnswerMs: 3000 },
    });
    void answerer.ask(askFor('running', 5000).req); // 3 s of model time: within 5 s
    await until(() => sent('running').length === 1, 2000, 'the running request');
    const started = Date.now();
    const p = await answerer.ask(askFor('one too many', 5000).req); // 3 s waiting + 3 s: beyond
    expect(p).toMatchObject({ done: true, failure: 'busy', text: '' });
    expect(Date.now() - started).toBeLessThan(1000); // at once: far from the 5 s deadline
    expect(log.questions.at(-1)).toMatchObject({ question: 'one too many', outcome: 'busy' });
    await until(() => sent('running').length === 1, 2000, 'the running request');
    expect(sent('one too many')).toHaveLength(0);
    await answerer.close();
  });

  it('a queued question whose caller has gone still runs in the background', async () => {
    fake.set({ answer: 'one two three four five six', tokenMs: 80 });
    const { answerer } = buildAnswerer(fake.url, { options: { maxConcurrent: 1 } });
    const a = askFor('first', 3000);
    const b = askFor('second', 200);
    void answerer.ask(a.req);
    const pb = await answerer.ask(b.req);
    expect(pb).toMatchObject({ text: '', done: false }); // still waiting for a slot at its deadline
    expect(pb.etaAt).toBeGreaterThan(Date.now());
    await until(() => b.last()?.done === true, 5000, 'the queued answer');
    expect(b.last()).toMatchObject({ text: 'one two three four five six', done: true });
    expect(sent('second')).toHaveLength(1);
  });

  it('one question per phone at a time: a second waits behind the first and runs when it is answered; a third is refused', async () => {
    fake.set({ answer: 'one two three', tokenMs: 50 });
    const { answerer } = buildAnswerer(fake.url, { options: { maxConcurrent: 2 } });
    const phone = { phoneHash: 'one-phone' };
    const release = fake.hold(); // no answer until the three are asked
    const first = askFor('what is malaria and how is it spread', 200, phone);
    expect(await answerer.ask(first.req)).toMatchObject({ done: false });
    // A free slot, yet the second is not asked of the model: it waits behind the first.
    const second = askFor('and dengue?', 200, phone);
    expect(await answerer.ask(second.req)).toMatchObject({
      done: false,
      after: 'what is malaria and how is it spread',
    });
    expect(sent('and dengue?')).toHaveLength(0);
    const third = await answerer.ask(askFor('and cholera?', 200, phone).req);
    expect(third).toMatchObject({ done: true, failure: 'waiting', waitingFor: 'and dengue?' });
    expect(sent('and cholera?')).toHaveLength(0);
    release();
    // The first answered, the second runs (after it, never beside it) and reaches its asker.
    await until(() => first.last()?.done === true, 5000, 'the first answer');
    await until(() => second.last()?.done === true, 5000, 'the second answer');
    expect(second.last()).toMatchObject({ done: true, text: 'one two three' });
    const [one, two] = [sent('what is malaria and how is it spread')[0], sent('and dengue?')[0]];
    expect(two?.at).toBeGreaterThanOrEqual(one?.closedAt ?? Number.POSITIVE_INFINITY);
    // Both answered: the phone may ask again, and is answered at once.
    const again = await answerer.ask(askFor('and cholera?', 2000, phone).req);
    expect(again).toMatchObject({ done: true, text: 'one two three' });
    await answerer.close();
  });

  it('an answer not ready by the deadline is waited for in the session only if it can come before AT ends it', async () => {
    const release = fake.hold(); // nothing by the deadlines
    // Answers are thought to take 60 s: in a session with 200 s left, wait; with 40 s left, later.
    const { answerer } = buildAnswerer(fake.url, { options: { priorAnswerMs: 60_000 } });
    try {
      const long = askFor('asked early in its session', 100);
      const early = await answerer.ask({ ...long.req, sessionEndsAt: Date.now() + 200_000 });
      expect(early).toMatchObject({ done: false });
      expect(early.later).toBeUndefined();
      const late = askFor('asked late in its session', 100);
      expect(await answerer.ask({ ...late.req, sessionEndsAt: Date.now() + 40_000 })).toMatchObject({
        done: false,
        later: 'dial',
      });
      // Its start unknown (a session stored before it was kept): 120 s from now, as before.
      expect((await answerer.ask(askFor('asked in an old session', 100).req)).later).toBeUndefined();
    } finally {
      release();
      await answerer.close();
    }
  });

  it('close() aborts background generations at the HTTP level, leaving them to be run again', async () => {
    fake.set({ answer: LONG, tokenMs: 100 });
    const { answerer } = buildAnswerer(fake.url);
    const { req, last } = askFor('q', 250);
    await answerer.ask(req);
    await answerer.close();
    await fake.generations()[0]?.settled;
    expect(fake.generations()[0]?.closedEarly).toBe(true);
    // Not ended as failed: with the Redis queue another replica (or this one, restarted) runs it.
    expect(last()?.done ?? false).toBe(false);
    expect(await answerer.ask(askFor('after close', 300).req)).toMatchObject({ failure: 'error' });
  });
});

describe('cache and FAQ', () => {
  it('a repeated question, cased and punctuated differently, is served from the cache without the model', async () => {
    fake.set({ answer: 'Wash your hands with soap.' });
    const { answerer, log } = buildAnswerer(fake.url);
    await answerer.ask(askFor('How do I stop cholera?', 2000).req);
    expect(fake.generations()).toHaveLength(1);
    const p = await answerer.ask(askFor('  how do i STOP cholera ', 2000).req);
    expect(p).toMatchObject({ text: 'Wash your hands with soap.', done: true, source: 'cache' });
    expect(fake.generations()).toHaveLength(1);
    expect(sent('  how do i STOP cholera ')).toHaveLength(0);
    expect(log.questions.at(-1)).toMatchObject({ source: 'cache', cacheHit: true, outcome: 'ok' });
    // Another language is another answer.
    await answerer.ask(askFor('How do I stop cholera?', 2000, { lang: 'sw' }).req);
    expect(fake.generations()).toHaveLength(2);
  });

  it('failed answers are not cached', async () => {
    fake.set({ status: 500 });
    const { answerer, cache } = buildAnswerer(fake.url);
    await answerer.ask(askFor('q', 2000).req);
    expect(cache.map.size).toBe(0);
  });

  it('an FAQ question answers at once, even with the model down', async () => {
    const { answerer, log } = buildAnswerer(`http://127.0.0.1:${await closedPort()}`);
    const p = await answerer.ask(askFor('Is it FREE?!', 2000, { lang: 'sw' }).req);
    expect(p).toMatchObject({ text: 'Maswali yako ya kila siku ni bure.', done: true, source: 'faq' });
    expect(log.questions[0]).toMatchObject({ source: 'faq', cacheHit: false, outcome: 'ok', lang: 'sw' });
  });

  it('a failing cache is a miss, not an error', async () => {
    const broken = {
      getCached: () => Promise.reject(new Error('redis down')),
      setCached: () => Promise.reject(new Error('redis down')),
    };
    const { answerer } = buildAnswerer(fake.url, { cache: broken });
    expect(await answerer.ask(askFor('q', 2000).req)).toMatchObject({ done: true, source: 'model' });
  });
});

describe('query (the JSON API)', () => {
  it('returns the whole answer, no screen limit, with tokens and latency, logged as api', async () => {
    fake.set({ answer: LONG });
    const { answerer, log } = buildAnswerer(fake.url, { hashUserId: (id) => `h(${id})` });
    const r = await answerer.query({ userId: 'web-42', query: 'Tell me about malaria' });
    expect(r.response).toBe(cleanAnswer(LONG));
    expect(septets(r.response)).toBeGreaterThan(182);
    const row = log.questions[0]!;
    expect(r.tokens_used).toBe(row.tokensIn + row.tokensOut);
    expect(r.latency_ms).toBeGreaterThanOrEqual(0);
    expect(row).toMatchObject({ channel: 'api', sessionId: '', phoneHash: 'h(web-42)', outcome: 'ok' });
  });

  it('sends num_predict and puts the context with the question, last', async () => {
    const { answerer } = buildAnswerer(fake.url, { options: { numPredict: 77 } });
    await answerer.query({ userId: 'u', query: 'What should I plant?', context: 'Dry season, sandy soil.' });
    const body = fake.generations()[0]?.body as {
      messages: { content: string }[];
      options: { num_predict: number };
    };
    expect(body.options.num_predict).toBe(77);
    expect(body.messages.at(-1)?.content).toBe(
      'Context: Dry season, sandy soil.\n\nQuestion: What should I plant?',
    );
  });

  it('rejects with typed errors', async () => {
    const down = buildAnswerer(`http://127.0.0.1:${await closedPort()}`).answerer;
    await expect(down.query({ userId: 'u', query: 'q' })).rejects.toBeInstanceOf(InferenceNetworkError);
    fake.set({ models: [] });
    const missing = buildAnswerer(fake.url).answerer;
    await expect(missing.query({ userId: 'u', query: 'q' })).rejects.toMatchObject({ status: 404 });
    await expect(missing.query({ userId: 'u', query: 'q' })).rejects.toBeInstanceOf(InferenceHttpError);
  });
});

describe('readiness', () => {
  it('is the model check', async () => {
    fake.set({ models: [] });
    const m = createOllamaModel({ host: fake.url, model: MODEL, numCtx: 2048 });
    const { answerer } = buildAnswerer(fake.url, { model: m });
    expect(await answerer.readiness()).toMatchObject({
      ok: false,
      detail: expect.stringContaining('ollama pull'),
    });
  });
});
