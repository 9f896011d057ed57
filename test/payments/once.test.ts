// One accept, one push (issue 14; "money never doubled"): the same acceptance arriving twice, by
// two sessions at once, by AT resending the hop, or inside a hop that walks several steps, is one
// payment record, one STK push (one PIN prompt) and one "asked to pay" step in the funnel.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type PayGateway, startPayGateway, until } from './gateway.ts';

const CHECK_PHONE = 'END Check your phone: enter your M-Pesa PIN to pay KES 20.';
let gw: PayGateway;

beforeEach(async () => {
  gw = await startPayGateway();
  gw.daraja.set({ outcome: 'never' }); // the prompt stays on the phone: nothing settles meanwhile
});
afterEach(async () => {
  await gw.close();
});

const requested = async () => (await gw.rows('tier_events')).filter((r) => r['event'] === 'requested');
/** Waits past the push delay, so a second push, if there were one, has been made. */
const settle = async () => {
  await until(() => gw.daraja.pushes.length > 0);
  await new Promise((r) => setTimeout(r, 300));
};

describe('one accept, one push', () => {
  it('two sessions accepting at the same moment: one payment, one push', async () => {
    for (const s of ['ATUid_a', 'ATUid_b']) for (const text of ['', '2', '2*2']) await gw.hop(s, text);
    const replies = await Promise.all([gw.hop('ATUid_a', '2*2*1'), gw.hop('ATUid_b', '2*2*1')]);
    expect(replies).toEqual([CHECK_PHONE, CHECK_PHONE]);
    await settle();
    expect(gw.daraja.pushes).toHaveLength(1);
    expect(await gw.rows('payments')).toHaveLength(1);
    expect(await requested()).toHaveLength(1);
  });

  it('AT resending the accepting hop: one push, one "asked to pay"', async () => {
    for (const text of ['', '2', '2*2']) await gw.hop('ATUid_r', text);
    expect(await gw.hop('ATUid_r', '2*2*1')).toBe(CHECK_PHONE);
    expect(await gw.hop('ATUid_r', '2*2*1')).toBe(CHECK_PHONE);
    await settle();
    expect(await gw.hop('ATUid_r', '2*2*1')).toBe(CHECK_PHONE);
    await new Promise((r) => setTimeout(r, 300));
    expect(gw.daraja.pushes).toHaveLength(1);
    expect(await requested()).toHaveLength(1);
  });

  it('a phone that has paid is not asked again when its cached profile missed it (a Redis failover)', async () => {
    gw.daraja.set({ outcome: 'paid' });
    await gw.dial(['2', '2', '1']);
    await until(async () => (await gw.rows('payments'))[0]?.['status'] === 'paid');
    // The settlement clears the cached profile just after the row: wait until a dial shows the plan
    // (so that clearing is behind us), or it would wipe the stale profile written next.
    await until(async () => /\nPlan: Subscribed until /.test((await gw.dial(['2']))[1] ?? ''));
    await gw.store().cacheProfile(gw.hash(), {}); // the cache as a replica that missed the news has it
    const [, , offer, accepted] = await gw.dial(['2', '2', '1']);
    expect(offer).toMatch(/^CON Unlimited questions, 30-day plan/); // drawn from the stale cache
    expect(accepted).toMatch(/^CON You are subscribed: unlimited questions until \d{1,2} \w{3}\./);
    await new Promise((r) => setTimeout(r, 300));
    expect(gw.daraja.pushes).toHaveLength(1);
    expect(await gw.rows('payments')).toHaveLength(1);
    expect((await gw.dial(['2']))[1]).toMatch(/\nPlan: Subscribed until /); // the cache corrected
  });

  it('a hop walking past the accept (text=2*2*1*1): one push', async () => {
    expect(await gw.hop('ATUid_w', '2*2*1*1')).toBe(CHECK_PHONE);
    // The second dial finds the payment awaited: no offer to accept, no second push.
    expect(await gw.hop('ATUid_w2', '2*2*1*1*1')).toBe(
      'END We are waiting for M-Pesa to confirm your payment of KES 20. Dial again in a few minutes to see it.',
    );
    await settle();
    expect(gw.daraja.pushes).toHaveLength(1);
    expect(await requested()).toHaveLength(1);
  });
});
