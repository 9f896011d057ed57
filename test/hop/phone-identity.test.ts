// One subscriber, however the client spells the number: +254711000202, 254711000202, 0711000202
// and +254-711-000-202 share one language, one quota and one subscription; a number that cannot
// be read gets a polite END, and the hop is logged (issue 16 item 3).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, expectPhoneValid, sessionId, type TestApp } from '../support/build-app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(async () => {
  await t.close();
});

async function session(texts: string[], phoneNumber: string): Promise<string[]> {
  const id = sessionId();
  const replies: string[] = [];
  for (const text of texts)
    replies.push(await expectPhoneValid(await t.hop({ sessionId: id, text, phoneNumber })));
  return replies;
}

describe('every spelling of a number is one subscriber', () => {
  it('shares the language chosen under another spelling', async () => {
    await session(['', '2', '2*1', '2*1*2'], '+254711000202');
    for (const spelling of ['254711000202', '0711000202', '+254-711-000-202'])
      expect((await session([''], spelling))[0]).toMatch(/^CON Karibu Ask\n/);
  });

  it('counts one quota and lifts it with one subscription', async () => {
    const spellings = ['+254711000203', '254711000203', '0711000203', '+254-711-000-203'];
    for (const [i, spelling] of spellings.entries())
      expect((await session(['', '1', `1*question ${i}`], spelling))[1]).toBe(
        `CON Type your question.\nLeft today: ${5 - i}\n0. Back`,
      );
    expect((await session(['', '2'], '0711000203'))[1]).toMatch(/\nLeft today: 1\n/);
    await session(['', '2', '2*2', '2*2*1'], '254711000203');
    expect((await session(['', '1'], '+254 711 000 203'))[1]).toMatch(/unlimited/);
  });

  it('logs one phone hash for all of them', async () => {
    const ids = [sessionId(), sessionId(), sessionId()];
    for (const [i, phoneNumber] of ['+254711000204', '0711000204', '254-711-000-204'].entries())
      await t.hop({ sessionId: ids[i] as string, text: '', phoneNumber });
    const hashes = (await t.rows('hops')).filter((h) => ids.includes(h['session_id'] as string));
    expect(new Set(hashes.map((h) => h['phone_hash'])).size).toBe(1);
  });
});

describe('a number that cannot be read', () => {
  it.each(['abc', '+254711XXXYYY', '++254', '*'])('%j gets a polite END, logged', async (phoneNumber) => {
    const id = sessionId();
    const reply = await expectPhoneValid(await t.hop({ sessionId: id, text: '', phoneNumber }));
    expect(reply).toBe('END Sorry, this phone number cannot use this service.');
    const row = (await t.rows('hops')).find((h) => h['session_id'] === id);
    expect(row).toMatchObject({ outcome: 'refused', screen: '@refused', reply_kind: 'END' });
  });
});
