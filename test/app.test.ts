// The AT callback at the HTTP level (issue 2 and the hop rules of issue 3): what real clients send
// is accepted, what no AT client sends gets a clear 4xx, every reply is valid on a phone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredSession } from '../src/engine/types.ts';
import { createRedisClient, createRedisSessionStore } from '../src/session/redis.ts';
import { buildTestApp, expectPhoneValid, sessionId, type TestApp } from './support/build-app.ts';

const MAIN = 'CON Welcome to Ask\n1. Ask a question\n2. My account\n3. Help\n4. About';
let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(async () => {
  await t.close();
});

describe('POST /ussd accepts what real clients send', () => {
  it.each([
    ['a first hop with empty text', { text: '' }],
    ['a first hop without text', {}],
    ['no networkCode', { text: '', networkCode: '' }],
    ['a word as networkCode (third-party simulators)', { text: '', networkCode: 'Safaricom' }],
    ['unknown extra fields', { text: '', channel: '384', foo: 'bar' }],
  ])('%s', async (_name, fields) => {
    const body = await expectPhoneValid(await t.hop({ sessionId: sessionId(), ...fields }));
    expect(body).toBe(MAIN);
  });

  it('reads %2B as + and repairs a raw + that form decoding turned into a space', async () => {
    const id1 = sessionId();
    const id2 = sessionId();
    await t.hop({ sessionId: id1, text: '' });
    const raw = `sessionId=${id2}&serviceCode=*384*123%23&phoneNumber=+254711000001&text=`;
    const res = await t.app.request('/ussd', {
      method: 'POST',
      body: raw,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(await res.text()).toBe(MAIN);
    const sessions = await t.rows('sessions');
    const hashes = new Set(
      sessions.filter((s) => s['session_id'] === id1 || s['session_id'] === id2).map((s) => s['phone_hash']),
    );
    expect(hashes.size).toBe(1); // the same phone either way
  });

  it('accepts the callback and the events URL with a trailing slash, as a URL may be registered', async () => {
    const id = sessionId();
    const body = new URLSearchParams({
      sessionId: id,
      serviceCode: '*384*123#',
      phoneNumber: '+254711000001',
      text: '',
    });
    expect(await expectPhoneValid(await t.app.request('/ussd/', { method: 'POST', body }))).toBe(MAIN);
    const end = new URLSearchParams({ sessionId: id, status: 'Success', phoneNumber: '+254711000001' });
    const events = await t.app.request('/ussd/events/', { method: 'POST', body: end });
    expect(events.status).toBe(200);
  });

  it('walks a whole session: account, language, back, home', async () => {
    const id = sessionId();
    const replies = [];
    for (const text of ['', '2', '2*1', '2*1*0', '2*1*0*00'])
      replies.push(await expectPhoneValid(await t.hop({ sessionId: id, text })));
    expect(replies[1]).toMatch(/^CON My account\n/);
    expect(replies[2]).toBe('CON Choose language\n1. English\n2. Kiswahili\n0. Back');
    expect(replies[3]).toMatch(/^CON My account\n/);
    expect(replies[4]).toBe(MAIN);
  });

  it('remembers the language per phone across sessions', async () => {
    const phoneNumber = '+254722000002';
    const id = sessionId();
    for (const text of ['', '2', '2*1', '2*1*2']) await t.hop({ sessionId: id, text, phoneNumber });
    expect(await (await t.hop({ sessionId: sessionId(), text: '', phoneNumber })).text()).toBe(
      'CON Karibu Ask\n1. Uliza swali\n2. Akaunti yangu\n3. Msaada\n4. Kuhusu',
    );
  });
});

describe('POST /ussd rejects what no AT client sends', () => {
  it.each([
    ['JSON', 'application/json', JSON.stringify({ sessionId: 'x' }), 415],
    ['plain text', 'text/plain', 'sessionId=x', 415],
    ['XML', 'application/xml', '<a/>', 415],
  ])('%s → %i', async (_name, type, body, status) => {
    const res = await t.app.request('/ussd', { method: 'POST', body, headers: { 'content-type': type } });
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await res.text()).toMatch(/^Unsupported media type/);
  });

  it.each(['sessionId', 'phoneNumber', 'serviceCode'])('a missing %s → 400 naming it', async (field) => {
    const fields: Record<string, string> = { sessionId: sessionId(), text: '' };
    const body = new URLSearchParams({ serviceCode: '*384*123#', phoneNumber: '+254711000001', ...fields });
    body.delete(field);
    const res = await t.app.request('/ussd', { method: 'POST', body });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain(field);
  });

  it('a body over 8 KiB → 413', async () => {
    const res = await t.hop({ sessionId: sessionId(), text: 'x'.repeat(9000) });
    expect(res.status).toBe(413);
  });

  it('GET → 405', async () => {
    const res = await t.app.request('/ussd');
    expect(res.status).toBe(405);
  });
});

describe('hops', () => {
  it('sends a question with * in it to the model whole, and shows the answer', async () => {
    const id = sessionId();
    await t.hop({ sessionId: id, text: '' });
    await t.hop({ sessionId: id, text: '1' });
    const body = await expectPhoneValid(await t.hop({ sessionId: id, text: '1*what is 2*3' }));
    expect(body).toBe(
      'CON Malaria is spread by mosquitoes. Sleep under a treated net.\n1. Helpful\n2. Not helpful\n0. Back',
    );
    const sent = t.ollama.generations().at(-1)?.body as { messages: { role: string; content: string }[] };
    expect(sent.messages.at(-1)).toEqual({ role: 'user', content: 'what is 2*3' });
  });

  it('answers the same hop twice with the same reply and asks the model once', async () => {
    const id = sessionId();
    await t.hop({ sessionId: id, text: '' });
    await t.hop({ sessionId: id, text: '1' });
    const before = t.ollama.generations().length;
    const [a, b] = await Promise.all([
      t.hop({ sessionId: id, text: '1*how do i stop malaria' }),
      t.hop({ sessionId: id, text: '1*how do i stop malaria' }),
    ]);
    expect(await a.text()).toBe(await b.text());
    const c = await t.hop({ sessionId: id, text: '1*how do i stop malaria' });
    expect(await c.text()).toMatch(/^CON Malaria/);
    expect(t.ollama.generations().length - before).toBe(1);
    const questions = (await t.rows('questions')).filter((q) => q['session_id'] === id);
    expect(questions).toHaveLength(1);
  });

  it('applies each input when a hop brings several at once (hops it never saw)', async () => {
    const id = sessionId();
    await t.hop({ sessionId: id, text: '' });
    expect(await (await t.hop({ sessionId: id, text: '2*1' })).text()).toBe(
      'CON Choose language\n1. English\n2. Kiswahili\n0. Back',
    );
    const asked = await t.hop({ sessionId: id, text: '2*1*00*1*what is 2*3' });
    expect(await asked.text()).toMatch(/^CON Malaria/);
    const sent = t.ollama.generations().at(-1)?.body as { messages: { content: string }[] };
    expect(sent.messages.at(-1)?.content).toBe('what is 2*3');
  });

  it('walks the path of a session it has no state for (a shortcut dial)', async () => {
    const body = await expectPhoneValid(await t.hop({ sessionId: sessionId(), text: '2*1' }));
    expect(body).toBe('CON Choose language\n1. English\n2. Kiswahili\n0. Back');
  });

  it('answers an FAQ at once, without the model', async () => {
    const id = sessionId();
    await t.hop({ sessionId: id, text: '' });
    await t.hop({ sessionId: id, text: '1' });
    const before = t.ollama.generations().length;
    expect(await (await t.hop({ sessionId: id, text: '1*Is it free?' })).text()).toMatch(
      /^CON Yes, 5 questions a day are free\./,
    );
    expect(t.ollama.generations().length).toBe(before);
  });

  it('records the hop, the question and the feedback in the log', async () => {
    const id = sessionId();
    for (const text of ['', '1', '1*what is malaria', '1*what is malaria*1'])
      await t.hop({ sessionId: id, text });
    const hops = (await t.rows('hops')).filter((h) => h['session_id'] === id);
    expect(hops).toHaveLength(4);
    expect((await t.rows('feedback')).filter((f) => f['session_id'] === id)).toHaveLength(1);
  });
});

describe('POST /ussd/events', () => {
  it.each([
    ['a cost as "KES 0.10"', 'KES 0.10', 0.1, 'KES'],
    ['a numeric cost', '0.1', 0.1, null],
  ])('stores a notification with %s', async (_name, cost, amount, currency) => {
    const id = sessionId();
    const body = new URLSearchParams({
      date: '2026-11-25 10:00:00',
      sessionId: id,
      serviceCode: '*384*123#',
      networkCode: '63902',
      phoneNumber: '+254711000001',
      status: 'Success',
      cost,
      durationInMillis: '12345',
      hopsCount: '3',
      input: '1*what',
      lastAppResponse: 'END Thanks',
      errorMessage: '',
    });
    const res = await t.app.request('/ussd/events', { method: 'POST', body });
    expect(res.status).toBe(200);
    const row = (await t.rows('sessions')).find((s) => s['session_id'] === id);
    expect(row).toMatchObject({
      status: 'Success',
      cost_amount: amount,
      cost_currency: currency,
      duration_ms: 12345,
      hops_count: 3,
    });
    expect(JSON.stringify(row)).not.toContain('254711000001');
  });
});

describe('health', () => {
  it('GET /healthz and /readyz', async () => {
    expect((await t.app.request('/healthz')).status).toBe(200);
    const ready = await t.app.request('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      ready: true,
      sessions: { ok: true, driver: 'redis' },
      ollama: { ok: true },
    });
  });

  it('turns 503 and still answers hops politely in time when Redis is unreachable', async () => {
    const dead = createRedisSessionStore<StoredSession>(createRedisClient('redis://127.0.0.1:1', 200), {
      prefix: 'x:',
      sessionTtlSeconds: 300,
    });
    const down = await buildTestApp({}, { store: dead });
    try {
      const started = Date.now();
      const body = await expectPhoneValid(await down.hop({ sessionId: sessionId(), text: '' }));
      expect(body).toBe('END Sorry, something went wrong. Please dial again.');
      expect(Date.now() - started).toBeLessThan(2000);
      expect((await down.app.request('/readyz')).status).toBe(503);
    } finally {
      await down.close();
    }
  });
});

describe('callback protection', () => {
  it('requires the secret in the path or the query when one is set', async () => {
    const secret = 's3cret-s3cret-s3cret';
    const guarded = await buildTestApp({ guard: { secret, allowedIps: [], trustProxy: { hops: 0 } } });
    try {
      const body = () =>
        new URLSearchParams({
          sessionId: sessionId(),
          serviceCode: '*384*123#',
          phoneNumber: '+254711000001',
          text: '',
        });
      expect((await guarded.app.request('/ussd', { method: 'POST', body: body() })).status).toBe(403);
      expect((await guarded.app.request('/ussd/wrong', { method: 'POST', body: body() })).status).toBe(403);
      expect(
        await (await guarded.app.request(`/ussd/${secret}`, { method: 'POST', body: body() })).text(),
      ).toBe(MAIN);
      expect(
        await (await guarded.app.request(`/ussd?secret=${secret}`, { method: 'POST', body: body() })).text(),
      ).toBe(MAIN);
      expect(
        (await guarded.app.request(`/ussd/${secret}/events`, { method: 'POST', body: body() })).status,
      ).toBe(200);
      expect(
        await (await guarded.app.request(`/ussd/${secret}/`, { method: 'POST', body: body() })).text(),
      ).toBe(MAIN);
      expect(
        (await guarded.app.request(`/ussd/${secret}/events/`, { method: 'POST', body: body() })).status,
      ).toBe(200);
    } finally {
      await guarded.close();
    }
  });

  it('lets only allowed addresses in when an allow-list is set', async () => {
    const guarded = await buildTestApp({ guard: { allowedIps: ['10.0.0.0/8'], trustProxy: { hops: 1 } } });
    try {
      const send = (ip: string) =>
        guarded.app.request('/ussd', {
          method: 'POST',
          body: new URLSearchParams({
            sessionId: sessionId(),
            serviceCode: '*384*123#',
            phoneNumber: '+254711000001',
            text: '',
          }),
          headers: { 'x-forwarded-for': ip },
        });
      expect((await send('10.1.2.3')).status).toBe(200);
      expect((await send('192.0.2.1')).status).toBe(403);
    } finally {
      await guarded.close();
    }
  });
});
