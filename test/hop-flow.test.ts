// Journeys across hops and sessions over HTTP: the daily quota, the subscription offer and what it
// records, slow answers fetched on the next hop, and the per-phone rate limits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hopKey } from '../src/hop/handler.ts';
import { hashPhone } from '../src/phone.ts';
import { buildTestApp, expectPhoneValid, sessionId, type TestApp } from './support/build-app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(async () => {
  await t.close();
});

/** Walks one session through `texts` (AT's cumulative text per hop); returns every reply. */
async function session(app: TestApp, texts: string[], phoneNumber: string): Promise<string[]> {
  const id = sessionId();
  const replies: string[] = [];
  for (const text of texts)
    replies.push(await expectPhoneValid(await app.hop({ sessionId: id, text, phoneNumber })));
  return replies;
}

describe('the daily quota and the paid tier', () => {
  it('counts questions down, offers the subscription when they are used, and lifts the quota on accept', async () => {
    const phone = '+254733000001';
    for (let i = 0; i < 5; i++) {
      const replies = await session(t, ['', '1', `1*question number ${i}`], phone);
      expect(replies[1]).toBe(`CON Type your question.\nLeft today: ${5 - i}\n0. Back`);
      expect(replies[2]).toMatch(/^CON Malaria/);
    }
    const offered = await session(t, ['', '1', '1*1'], phone);
    expect(offered[1]).toMatch(/^CON No free questions left today\./);
    expect(offered[2]).toMatch(/^END Thank you! Your subscription request is recorded/);
    const after = await session(t, ['', '1'], phone);
    expect(after[1]).toBe('CON Type your question.\nLeft today: unlimited\n0. Back');
    const tiers = (await t.rows('tier_events')).map((r) => r['event']);
    expect(tiers).toEqual(['quota-hit', 'offer', 'accept']);
  });

  it('records a declined offer', async () => {
    const phone = '+254733000002';
    for (let i = 0; i < 5; i++) await session(t, ['', '1', `1*q${i}`], phone);
    expect((await session(t, ['', '1', '1*2'], phone))[2]).toBe(
      'END No problem. Free questions each day: 5.',
    );
    expect((await t.rows('tier_events')).map((r) => r['event']).slice(-3)).toEqual([
      'quota-hit',
      'offer',
      'decline',
    ]);
  });

  it('does not count a question the model could not answer', async () => {
    const phone = '+254733000003';
    t.ollama.set({ status: 500 });
    try {
      const replies = await session(t, ['', '1', '1*will this fail'], phone);
      expect(replies[2]).toBe('CON Sorry, we could not get an answer.\n1. Try again\n0. Back');
    } finally {
      t.ollama.set({ status: null });
    }
    expect((await session(t, ['', '1'], phone))[1]).toBe('CON Type your question.\nLeft today: 5\n0. Back');
  });
});

describe('what the quota counts: model work', () => {
  it('does not count an answer from the FAQ', async () => {
    const phone = '+254733000005';
    const replies = await session(
      t,
      ['', '1', '1*is it free', '1*is it free*1', '1*is it free*1*2', '1*is it free*1*2*2'],
      phone,
    );
    expect(replies[2]).toMatch(/^CON Yes, 5 questions a day are free\./);
    expect(replies[5]).toMatch(/^CON My account\nLeft today: 5\n/);
  });

  it('does not count an answer from the cache', async () => {
    const cached = await buildTestApp({}, { env: { ANSWER_CACHE_TTL_SECONDS: '60' } });
    try {
      await session(cached, ['', '1', '1*what is malaria'], '+254733000006');
      const phone = '+254733000007';
      const again = await session(cached, ['', '1', '1*what is malaria'], phone);
      expect(again[2]).toMatch(/^CON Malaria/);
      const questions = await cached.rows('questions');
      expect(questions.map((q) => q['source'])).toEqual(['model', 'cache']);
      expect((await session(cached, ['', '1'], phone))[1]).toBe(
        'CON Type your question.\nLeft today: 5\n0. Back',
      );
    } finally {
      await cached.close();
    }
  });
});

describe('a slow model', () => {
  it('shows "still thinking" at the deadline and the answer on the next hop', async () => {
    t.ollama.set({ firstTokenMs: 2500 });
    try {
      const id = sessionId();
      const hop = (text: string) => t.hop({ sessionId: id, text, phoneNumber: '+254733000004' });
      await hop('');
      await hop('1');
      const started = Date.now();
      const res = await hop('1*why is the sky blue');
      // For our own tools (npm run dial): the answer is being written, and 1 fetches it.
      expect(res.headers.get('x-answer-pending')).toBe('1');
      const waiting = await expectPhoneValid(res);
      expect(Date.now() - started).toBeLessThan(2000 + 100);
      expect(waiting).toBe('CON Still working on your answer.\n1. Get answer\n0. Back');
      await new Promise((r) => setTimeout(r, 1200));
      const answered = await hop('1*why is the sky blue*1');
      expect(answered.headers.get('x-answer-pending')).toBeNull();
      expect(await expectPhoneValid(answered)).toMatch(/^CON Malaria is spread/);
    } finally {
      t.ollama.set({ firstTokenMs: 0 });
    }
  });
});

describe('rate limits', () => {
  it('ends a flooding phone politely and keeps serving others', async () => {
    const limited = await buildTestApp({ hopRatePerMinute: 5 });
    try {
      const flood = [];
      for (let i = 0; i < 8; i++)
        flood.push(
          await (
            await limited.hop({ sessionId: sessionId(), text: '', phoneNumber: '+254744000001' })
          ).text(),
        );
      expect(flood.slice(0, 5).every((b) => b.startsWith('CON Welcome'))).toBe(true);
      expect(flood.slice(5)).toEqual(
        Array(3).fill('END Too many requests. Please wait a minute and dial again.'),
      );
      expect(
        await (await limited.hop({ sessionId: sessionId(), text: '', phoneNumber: '+254744000002' })).text(),
      ).toMatch(/^CON Welcome/);
      const outcomes = (await limited.rows('hops')).map((h) => h['outcome']);
      expect(outcomes.filter((o) => o === 'limited')).toHaveLength(3);
    } finally {
      await limited.close();
    }
  });

  it('counts a hop that waits for a busy session once, not once per poll (issue 15 item 5)', async () => {
    t.ollama.set({ firstTokenMs: 1200 });
    try {
      const phone = '+254744000003';
      const id = sessionId();
      const hop = (text: string) => t.hop({ sessionId: id, text, phoneNumber: phone });
      await hop('');
      await hop('1');
      // The question, and the telco resending it while the first is still being answered: the
      // resend waits for the first hop's lease (polling every 100 ms) and then replays its reply.
      const [first, resend] = await Promise.all([
        hop('1*why do cows eat grass'),
        hop('1*why do cows eat grass'),
      ]);
      expect(await first.text()).toBe(await resend.text());
      // What the next hop of the phone would read: this minute's hops so far, itself included.
      const key = hopKey(id, hashPhone(phone, 'test-secret-0123456789'), Date.now(), 180);
      const counted = (await t.store.peek(key)).hopsThisMinute - 1;
      expect(counted).toBe(4);
    } finally {
      t.ollama.set({ firstTokenMs: 0 });
    }
  });
});
