// Several inputs in one hop (a shortcut dial, hops AT sent that we never saw, a client that sends a
// path at once): every effect of every walked step happens, exactly once, whichever way the hop
// takes (the one-round-trip way, the full way with or without stored state); a resent hop performs
// none (issue 16 items 1 and 10).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, expectPhoneValid, sessionId, type TestApp } from '../support/build-app.ts';

const MAIN_SW = 'CON Karibu Ask\n1. Uliza swali\n2. Akaunti yangu\n3. Msaada\n4. Kuhusu';
const MAIN_EN = 'CON Welcome to Ask\n1. Ask a question\n2. My account\n3. Help\n4. About';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(async () => {
  await t.close();
});

/** Sends AT's cumulative texts as the hops of one new session; returns every reply. */
async function session(texts: string[], phoneNumber: string): Promise<string[]> {
  const id = sessionId();
  const replies: string[] = [];
  for (const text of texts)
    replies.push(await expectPhoneValid(await t.hop({ sessionId: id, text, phoneNumber })));
  return replies;
}

const firstScreen = async (phoneNumber: string) => (await session([''], phoneNumber))[0];

describe('a language chosen inside a hop that walks several steps', () => {
  it.each([
    ['the first hop of a session we have no state for', ['2*1*2*1'], '+254711000601', MAIN_SW],
    ['the same, going on past the choice', ['2*1*2*1*2'], '+254711000602', /^CON Akaunti yangu\n/],
    ['a live session that jumps from its first screen', ['', '2*1*2*1'], '+254711000603', MAIN_SW],
    ['a live session with stored state', ['', '2', '2*1*2*1'], '+254711000604', MAIN_SW],
  ])('is remembered: %s', async (_name, texts, phone, last) => {
    const replies = await session(texts, phone);
    expect(replies.at(-1)).toEqual(typeof last === 'string' ? last : expect.stringMatching(last));
    expect(await firstScreen(phone)).toBe(MAIN_SW);
  });

  it('applies a choice and its change back, the last one winning', async () => {
    const phone = '+254711000605';
    await session(['2*1*2*1*2*1*1*1'], phone);
    expect(await firstScreen(phone)).toBe(MAIN_EN);
  });
});

describe('a subscription accepted inside a walked hop', () => {
  it('is recorded once, and a resent hop records nothing again', async () => {
    const phone = '+254711000606';
    const id = sessionId();
    const first = await expectPhoneValid(await t.hop({ sessionId: id, text: '2*2*1', phoneNumber: phone }));
    expect(first).toMatch(/^END Thank you! Your subscription request is recorded/);
    const again = await expectPhoneValid(await t.hop({ sessionId: id, text: '2*2*1', phoneNumber: phone }));
    expect(again).toBe(first);
    const accepts = (await t.rows('tier_events')).filter(
      (r) => r['session_id'] === id && r['event'] === 'accept',
    );
    expect(accepts).toHaveLength(1);
    expect((await session(['', '1'], phone))[1]).toMatch(/unlimited/);
  });
});

describe('a first hop with no state whose text carries a question and the keys after it', () => {
  it('asks the question alone: no menu key leaks into it', async () => {
    const id = sessionId();
    const reply = await expectPhoneValid(
      await t.hop({ sessionId: id, text: '1*is it free*0', phoneNumber: '+254711000607' }),
    );
    expect(reply).toMatch(/^CON Yes, 5 questions a day are free\./);
    const questions = (await t.rows('questions')).filter((q) => q['session_id'] === id);
    expect(questions.map((q) => [q['question'], q['source']])).toEqual([['is it free', 'faq']]);
  });

  it('keeps a product such as 2*3 in the question', async () => {
    const id = sessionId();
    await t.hop({ sessionId: id, text: '1*what is 2*3', phoneNumber: '+254711000608' });
    const questions = (await t.rows('questions')).filter((q) => q['session_id'] === id);
    expect(questions.map((q) => q['question'])).toEqual(['what is 2*3']);
  });
});
