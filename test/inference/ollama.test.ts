// The Ollama driver against the fake Ollama server on loopback: what it sends, what it yields,
// how failures are typed, and that every abandoned stream really closes its HTTP request.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { InferenceHttpError, InferenceNetworkError, InferenceTimeoutError } from '../../src/errors.ts';
import { createOllamaModel } from '../../src/inference/ollama.ts';
import type { GenerateChunk } from '../../src/inference/types.ts';
import { DEFAULT_KNOBS, type FakeOllama, startFakeOllama } from '../helpers/fake-ollama.ts';
import { closedPort, MODEL, until } from './support.ts';

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

const messages = [
  { role: 'system' as const, content: 'Be brief.' },
  { role: 'user' as const, content: 'How do I prevent malaria?' },
];
const model = () => createOllamaModel({ host: fake.url, model: MODEL, numCtx: 2048 });

async function collect(stream: AsyncIterable<GenerateChunk>): Promise<GenerateChunk[]> {
  const out: GenerateChunk[] = [];
  for await (const c of stream) out.push(c);
  return out;
}

describe('generate', () => {
  it('streams the answer, then a done chunk with the token counts', async () => {
    fake.set({ answer: 'Sleep under a net. Clear standing water.', finalText: '' });
    const chunks = await collect(
      model().generate({ messages, numPredict: 60 }, new AbortController().signal),
    );
    expect(chunks[0]).toEqual({ text: '' }); // the response has started
    expect(
      chunks
        .slice(1)
        .map((c) => c.text)
        .join(''),
    ).toBe('Sleep under a net. Clear standing water.');
    expect(chunks.at(-1)?.done).toEqual({ reason: 'stop', tokensIn: expect.any(Number), tokensOut: 7 });
  });

  it('keeps the last piece of text Ollama may put in the done chunk', async () => {
    fake.set({ answer: 'Boil water', finalText: ' first.' });
    const chunks = await collect(
      model().generate({ messages, numPredict: 60 }, new AbortController().signal),
    );
    expect(chunks.map((c) => c.text).join('')).toBe('Boil water first.');
  });

  it('sends streaming chat with constant runner options, keep_alive -1, num_predict and a stop', async () => {
    await collect(model().generate({ messages, numPredict: 42 }, new AbortController().signal));
    const [req] = fake.generations();
    expect(req?.path).toBe('/api/chat');
    expect(req?.body).toMatchObject({
      model: MODEL,
      messages,
      stream: true,
      keep_alive: -1,
      options: { num_ctx: 2048, num_predict: 42, temperature: 0.3, stop: ['\n\n'] },
    });
  });

  it('honours num_predict: the fake stops with done_reason "length"', async () => {
    fake.set({ answer: 'one two three four five six' });
    const chunks = await collect(model().generate({ messages, numPredict: 3 }, new AbortController().signal));
    expect(chunks.map((c) => c.text).join('')).toBe('one two three');
    expect(chunks.at(-1)?.done?.reason).toBe('length');
  });

  it.each([
    ['404 model not pulled', { models: ['qwen2.5:1.5b'] }, InferenceHttpError, 404],
    ['500 runner crash', { status: 500 }, InferenceHttpError, 500],
    ['503 Ollama queue full', { status: 503 }, InferenceHttpError, 503],
  ])('%s → typed error with the status', async (_name, knobs, type, status) => {
    fake.set(knobs);
    const err = await collect(
      model().generate({ messages, numPredict: 60 }, new AbortController().signal),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(type);
    expect((err as InferenceHttpError).status).toBe(status);
  });

  it('404 carries Ollama’s message naming the model', async () => {
    fake.set({ models: [] });
    const err = await collect(
      model().generate({ messages, numPredict: 60 }, new AbortController().signal),
    ).catch((e: unknown) => e);
    expect((err as Error).message).toContain(`model '${MODEL}' not found`);
  });

  it('a closed port → InferenceNetworkError naming the host', async () => {
    const host = `http://127.0.0.1:${await closedPort()}`;
    const down = createOllamaModel({ host, model: MODEL, numCtx: 2048 });
    const err = await collect(
      down.generate({ messages, numPredict: 60 }, new AbortController().signal),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InferenceNetworkError);
    expect((err as Error).message).toContain(host);
    expect((err as Error).message).toContain('ECONNREFUSED');
  });

  it.each([
    ['cut without done', { closeAfterTokens: 2 }],
    ['an in-stream error line', { errorAfterTokens: 2 }],
    ['garbage bytes', { garbageAfterTokens: 2 }],
  ])('%s → InferenceNetworkError after the text so far', async (_name, knobs) => {
    fake.set({ answer: 'one two three four', ...knobs });
    const seen: string[] = [];
    const err = await (async () => {
      for await (const c of model().generate({ messages, numPredict: 60 }, new AbortController().signal))
        seen.push(c.text);
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InferenceNetworkError);
    expect(seen.join('')).toBe('one two');
  });

  it('garbage in the stream is a broken stream, and nothing goes to the console', async () => {
    fake.set({ answer: 'one two three four', garbageAfterTokens: 2 });
    const printed: unknown[] = [];
    const spies = (['warn', 'error', 'log'] as const).map((level) =>
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void printed.push(args)),
    );
    try {
      const err = await collect(
        model().generate({ messages, numPredict: 60 }, new AbortController().signal),
      ).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InferenceNetworkError);
      expect((err as Error).message).toMatch(/not JSON/);
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    expect(printed).toEqual([]);
  });

  it('an abort while waiting for headers closes the request (ollama-js abort() cannot)', async () => {
    fake.set({ hangBeforeFirstToken: true });
    const ctl = new AbortController();
    const pending = collect(model().generate({ messages, numPredict: 60 }, ctl.signal)).catch(
      (e: unknown) => e,
    );
    // Abort once the request is at the server (on a loaded machine 150 ms may be before it is sent).
    await until(() => fake.generations().length > 0, 5000, 'the request at the fake');
    const started = Date.now();
    ctl.abort(new DOMException('hop deadline', 'TimeoutError'));
    const err = await pending;
    expect(err).toBeInstanceOf(InferenceTimeoutError);
    expect(Date.now() - started).toBeLessThan(2000);
    const [req] = fake.generations();
    await req?.settled;
    expect(req?.closedEarly).toBe(true);
  });

  it('an abort mid-stream closes the request', async () => {
    fake.set({ answer: 'a b c d e f g h i j', tokenMs: 100 });
    const ctl = new AbortController();
    const err = await (async () => {
      for await (const c of model().generate({ messages, numPredict: 60 }, ctl.signal))
        if (c.text.trim() === 'b') ctl.abort();
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InferenceTimeoutError);
    await fake.generations()[0]?.settled;
    expect(fake.generations()[0]?.closedEarly).toBe(true);
  });

  it('breaking out of the loop closes the request (a forgotten stream would hold the slot)', async () => {
    fake.set({ answer: 'a b c d e f g h i j', tokenMs: 100 });
    for await (const c of model().generate({ messages, numPredict: 60 }, new AbortController().signal)) {
      if (c.text.trim() === 'b') break;
    }
    await fake.generations()[0]?.settled;
    expect(fake.generations()[0]?.closedEarly).toBe(true);
  });

  it('a stream read to its end is not counted as cancelled', async () => {
    await collect(model().generate({ messages, numPredict: 60 }, new AbortController().signal));
    await fake.generations()[0]?.settled;
    expect(fake.generations()[0]?.closedEarly).toBe(false);
  });
});

describe('check', () => {
  it('ok when the model is pulled (a missing tag means :latest)', async () => {
    fake.set({ models: ['llama3.2:latest', MODEL] });
    expect(await model().check()).toMatchObject({ ok: true });
    const bare = createOllamaModel({ host: fake.url, model: 'llama3.2', numCtx: 2048 });
    expect((await bare.check()).ok).toBe(true);
  });

  it('says which model to pull when it is missing', async () => {
    fake.set({ models: ['qwen2.5:1.5b'] });
    expect(await model().check()).toEqual({
      ok: false,
      detail: `model '${MODEL}' is not pulled: run \`ollama pull ${MODEL}\``,
    });
  });

  it('names the host when Ollama is unreachable', async () => {
    const host = `http://127.0.0.1:${await closedPort()}`;
    const health = await createOllamaModel({ host, model: MODEL, numCtx: 2048 }).check();
    expect(health.ok).toBe(false);
    expect(health.detail).toContain(host);
  });
});

describe('warm', () => {
  it('loads with empty messages, keep_alive -1 and the same runner options: no reload after', async () => {
    const m = model();
    const loadsBefore = fake.loads();
    await m.warm();
    const [warm] = fake.generations();
    expect(warm?.body).toMatchObject({
      model: MODEL,
      messages: [],
      keep_alive: -1,
      options: { num_ctx: 2048 },
    });
    await collect(m.generate({ messages, numPredict: 60 }, new AbortController().signal));
    await collect(m.generate({ messages, numPredict: 20 }, new AbortController().signal));
    expect(fake.loads() - loadsBefore).toBeLessThanOrEqual(1);
  });

  it('has no deadline: a slow load is waited for', async () => {
    fake.set({ firstTokenMs: 600 });
    await expect(model().warm()).resolves.toBeUndefined();
  });

  it('throws a typed error when the model is missing', async () => {
    fake.set({ models: [] });
    await expect(model().warm()).rejects.toBeInstanceOf(InferenceHttpError);
  });
});
