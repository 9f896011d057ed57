// The fake Ollama must speak the real protocol (shared/research/inference.md §1), or tests against
// it prove nothing. Plain fetch here, no ollama-js: this is the wire format.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_KNOBS, type FakeOllama, plan, startFakeOllama } from '../helpers/fake-ollama.ts';

let fake: FakeOllama;
beforeAll(async () => {
  fake = await startFakeOllama({ answer: 'Sleep under a net.' });
});
afterAll(async () => {
  await fake.close();
});
afterEach(() => {
  fake.set({ ...DEFAULT_KNOBS, answer: 'Sleep under a net.' });
  fake.requests.length = 0;
});

const post = (path: string, body: unknown) =>
  fetch(`${fake.url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? '' : JSON.stringify(body),
  });
const lines = async (res: Response) =>
  (await res.text())
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
const chat = { model: 'llama3.2:3b', messages: [{ role: 'user', content: 'malaria?' }] };

describe('endpoints', () => {
  it('GET and HEAD / say Ollama is running', async () => {
    const res = await fetch(`${fake.url}/`);
    expect(await res.text()).toBe('Ollama is running');
    expect((await fetch(`${fake.url}/`, { method: 'HEAD' })).status).toBe(200);
  });

  it('/api/version, /api/tags and /api/ps have Ollama’s shapes', async () => {
    expect(await (await fetch(`${fake.url}/api/version`)).json()).toEqual({ version: expect.any(String) });
    const tags = (await (await fetch(`${fake.url}/api/tags`)).json()) as {
      models: Record<string, unknown>[];
    };
    expect(tags.models[0]).toMatchObject({
      name: 'llama3.2:3b',
      model: 'llama3.2:3b',
      size: expect.any(Number),
    });
    expect(await (await fetch(`${fake.url}/api/ps`)).json()).toEqual({ models: [] });
    await (await post('/api/chat', chat)).text();
    const ps = (await (await fetch(`${fake.url}/api/ps`)).json()) as { models: { name: string }[] };
    expect(ps.models.map((m) => m.name)).toEqual(['llama3.2:3b']);
  });

  it.each([
    ['an empty body', 400, undefined, { error: 'missing request body' }],
    ['no model', 400, { messages: [] }, { error: 'model is required' }],
    ['an unknown model', 404, { model: 'nope:1b', messages: [] }, { error: "model 'nope:1b' not found" }],
  ])('%s → %i with Ollama’s body', async (_name, status, body, expected) => {
    const res = await post('/api/chat', body);
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(await res.json()).toEqual(expected);
  });

  it.each([
    [500, 'llama runner process has terminated: signal: killed'],
    [503, 'server busy, please try again.  maximum pending requests exceeded'],
  ])('HTTP %i with the real body', async (status, error) => {
    fake.set({ status });
    const res = await post('/api/chat', chat);
    expect(res.status).toBe(status);
    expect(await res.json()).toEqual({ error });
  });
});

describe('streaming', () => {
  it('chat: NDJSON, one token per line, then done with reason and metrics in ns', async () => {
    const res = await post('/api/chat', chat);
    expect(res.headers.get('content-type')).toBe('application/x-ndjson');
    const parts = await lines(res);
    const text = parts.map((p) => (p['message'] as { content: string }).content).join('');
    expect(text).toBe('Sleep under a net.');
    expect(parts.slice(0, -1).every((p) => p['done'] === false)).toBe(true);
    expect(parts.at(-1)).toMatchObject({
      done: true,
      done_reason: 'stop',
      prompt_eval_count: expect.any(Number),
      eval_count: 4,
      total_duration: expect.any(Number),
      eval_duration: expect.any(Number),
    });
    expect(Number.isInteger(parts.at(-1)?.['eval_duration'])).toBe(true);
  });

  it('generate: the text is in `response`', async () => {
    const parts = await lines(await post('/api/generate', { model: 'llama3.2:3b', prompt: 'malaria?' }));
    expect(parts.map((p) => p['response']).join('')).toBe('Sleep under a net.');
  });

  it('stream:false answers one JSON object with the whole text', async () => {
    const res = await post('/api/chat', { ...chat, stream: false });
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(await res.json()).toMatchObject({ message: { content: 'Sleep under a net.' }, done: true });
  });

  it('empty messages load the model: done_reason "load"', async () => {
    expect(await (await post('/api/chat', { model: 'llama3.2:3b', messages: [] })).json()).toMatchObject({
      done: true,
      done_reason: 'load',
    });
  });

  it('withholds the headers until the first token', async () => {
    fake.set({ firstTokenMs: 300 });
    const started = Date.now();
    const res = await post('/api/chat', chat);
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    await res.text();
  });

  it.each([
    ['closeAfterTokens', { closeAfterTokens: 2 }, ['Sleep', ' under']],
    ['errorAfterTokens', { errorAfterTokens: 2 }, ['Sleep', ' under', 'error']],
  ])('%s ends the stream without done', async (_name, knobs, expected) => {
    fake.set(knobs);
    const parts = await lines(await post('/api/chat', chat));
    expect(parts.map((p) => (p['error'] ? 'error' : (p['message'] as { content: string }).content))).toEqual(
      expected,
    );
  });

  it('records a request closed by the client before it finished', async () => {
    fake.set({ tokenMs: 100 });
    const ctl = new AbortController();
    const res = await fetch(`${fake.url}/api/chat`, {
      method: 'POST',
      body: JSON.stringify(chat),
      signal: ctl.signal,
    });
    await res.body?.getReader().read(); // the first token
    ctl.abort();
    const [req] = fake.generations();
    await req?.settled;
    expect(req?.closedEarly).toBe(true);
  });
});

describe('plan (num_predict and stop)', () => {
  it.each([
    ['words are tokens', 'a b c', {}, ['a', ' b', ' c'], 'stop'],
    ['num_predict caps with "length"', 'a b c', { num_predict: 2 }, ['a', ' b'], 'length'],
    ['a stop string ends it and is not emitted', 'a b\n\nc d', { stop: ['\n\n'] }, ['a', ' b'], 'stop'],
    ['an empty answer has no tokens', '', {}, [], 'stop'],
  ])('%s', (_name, answer, options, tokens, reason) => {
    expect(plan(answer, options)).toEqual({ tokens, reason });
  });
});
