// POST /api/query through Hono (app.request), with the real answerer and the fake Ollama behind it.
import { Hono } from 'hono';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createQueryRoutes } from '../../src/inference/query-route.ts';
import { silentLogger } from '../../src/logger.ts';
import { DEFAULT_KNOBS, type FakeOllama, startFakeOllama } from '../helpers/fake-ollama.ts';
import { buildAnswerer, closedPort } from './support.ts';

const TOKEN = 'a-long-api-token-for-tests';

let fake: FakeOllama;
beforeAll(async () => {
  fake = await startFakeOllama({ answer: 'Plant drought-tolerant sorghum.' });
});
afterAll(async () => {
  await fake.close();
});
afterEach(() => {
  fake.set({ ...DEFAULT_KNOBS, answer: 'Plant drought-tolerant sorghum.' });
});

function app(url = fake.url, apiToken?: string) {
  const { answerer, log } = buildAnswerer(url);
  const root = new Hono();
  root.route('/api', createQueryRoutes({ answerer, apiToken, logger: silentLogger() }));
  return { root, log };
}

function query(
  root: Hono,
  body: string,
  headers: Record<string, string> = { 'Content-Type': 'application/json' },
) {
  return root.request('/api/query', { method: 'POST', headers, body });
}

describe('POST /api/query', () => {
  it('answers {response, tokens_used, latency_ms} and logs it as api', async () => {
    const { root, log } = app();
    const res = await query(
      root,
      JSON.stringify({ user_id: 'web-1', query: 'What grows in dry sandy soil?' }),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      response: 'Plant drought-tolerant sorghum.',
      tokens_used: expect.any(Number),
      latency_ms: expect.any(Number),
    });
    expect(log.questions[0]).toMatchObject({ channel: 'api', question: 'What grows in dry sandy soil?' });
  });

  it('accepts an optional context', async () => {
    const { root } = app();
    const res = await query(
      root,
      JSON.stringify({ user_id: 'u', query: 'What now?', context: 'Dry season.' }),
    );
    expect(res.status).toBe(200);
  });

  it.each([
    ['bad JSON', '{"user_id": "u", ', 'the body is not valid JSON'],
    ['not an object', '["u", "q"]', 'the body must be a JSON object with user_id and query'],
    ['user_id missing', '{"query": "q"}', 'user_id is required'],
    ['query missing', '{"user_id": "u"}', 'query is required'],
    ['query not a string', '{"user_id": "u", "query": 42}', 'query must be a string'],
    ['query blank', '{"user_id": "u", "query": "   "}', 'query must not be empty'],
    ['context not a string', '{"user_id": "u", "query": "q", "context": {}}', 'context must be a string'],
  ])('%s → 400 with a clear error', async (_name, body, error) => {
    const res = await query(app().root, body);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error });
  });

  it('non-JSON → 415', async () => {
    const res = await query(app().root, 'user_id=u&query=q', {
      'Content-Type': 'application/x-www-form-urlencoded',
    });
    expect(res.status).toBe(415);
    expect(await res.json()).toEqual({ error: expect.stringContaining('application/json') });
  });

  it('a huge body → 413', async () => {
    const res = await query(app().root, JSON.stringify({ user_id: 'u', query: 'x'.repeat(20_000) }));
    expect(res.status).toBe(413);
  });

  it.each([
    ['no header', {}, 401],
    ['a wrong token', { Authorization: 'Bearer not-the-token' }, 401],
    ['a prefix of the token', { Authorization: `Bearer ${TOKEN.slice(0, 10)}` }, 401],
    ['another scheme', { Authorization: `Basic ${TOKEN}` }, 401],
    ['the token', { Authorization: `Bearer ${TOKEN}` }, 200],
  ])('with API_TOKEN set, %s → %i', async (_name, auth, status) => {
    const { root } = app(fake.url, TOKEN);
    const res = await query(root, JSON.stringify({ user_id: 'u', query: 'q' }), {
      'Content-Type': 'application/json',
      ...auth,
    });
    expect(res.status).toBe(status);
    if (status === 401) {
      expect(res.headers.get('WWW-Authenticate')).toBe('Bearer');
      expect(await res.json()).toEqual({ error: 'missing or wrong bearer token' });
    }
  });

  it('model down → 503 {error}, no internals', async () => {
    const { root } = app(`http://127.0.0.1:${await closedPort()}`);
    const res = await query(root, JSON.stringify({ user_id: 'u', query: 'q' }));
    expect(res.status).toBe(503);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ error: 'the model is not reachable' });
    expect(text).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|\bat\b.*\.ts/);
  });

  it.each([
    ['Ollama busy (503)', { status: 503 }, 503, 'busy, try again shortly'],
    ['model not pulled (404)', { models: [] }, 503, 'the model is not available'],
    ['Ollama crashed (500)', { status: 500 }, 502, 'the model failed to answer'],
  ])('%s → %i', async (_name, knobs, status, error) => {
    fake.set(knobs);
    const res = await query(app().root, JSON.stringify({ user_id: 'u', query: 'q' }));
    expect(res.status).toBe(status);
    expect(await res.json()).toEqual({ error });
  });
});
