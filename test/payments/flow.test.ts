// Paying by M-Pesa end to end (issue 14), against the fake Daraja on loopback: the USSD journey,
// the STK push after the END, Daraja's callback posted to the gateway, the status query, and the
// next dial. The subscription starts exactly when, and only when, the money is confirmed.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type PayGateway, PHONE, startPayGateway, until } from './gateway.ts';

const CHECK_PHONE = 'END Check your phone: enter your M-Pesa PIN to pay KES 20.';
const DAY = 86_400_000;
let gw: PayGateway;

beforeEach(async () => {
  gw = await startPayGateway();
});
afterEach(async () => {
  await gw.close();
});

/** My account → Subscribe → accept; the push and the callbacks due, all done. */
async function subscribe(): Promise<string> {
  const replies = await gw.dial(['2', '2', '1']);
  await until(() => gw.daraja.pushes.length > 0);
  await gw.daraja.settled();
  return replies.at(-1) ?? '';
}

const payments = async () => gw.rows('payments');
const subscriptions = async () => (await gw.rows('subscriptions')).filter((s) => s['source'] === 'mpesa');
const tier = async () =>
  (await gw.rows('tier_events')).map((r) => [r['event'], r['via'] ?? r['reason'] ?? r['amount'] ?? null]);
/** "2 Jan": the last day of a subscription starting now, in Nairobi. */
const endDate = (from: number, months = 'Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec') => {
  const d = new Date(from + 30 * DAY + 3 * 3_600_000);
  return `${d.getUTCDate()} ${months.split(' ')[d.getUTCMonth()]}`;
};

describe('paying by M-Pesa', () => {
  it('paid: recorded before the END, pushed after it, subscribed by the callback, told on the next dial', async () => {
    const before = Date.now();
    const replies = await gw.dial(['2', '2', '1']);
    const repliedAt = Date.now();
    expect(replies.at(-1)).toBe(CHECK_PHONE);
    // The record was written before the user was told.
    expect(await payments()).toMatchObject([{ status: 'requested', amount: 20, msisdn: '254711000001' }]);
    await until(() => gw.daraja.pushes.length === 1);
    const push = gw.daraja.pushes[0];
    expect(push?.at).toBeGreaterThanOrEqual(repliedAt); // the prompt comes after the session closed
    expect(push?.body).toMatchObject({
      ...{ Amount: 20, PartyA: '254711000001', PhoneNumber: '254711000001', PartyB: '174379' },
      ...{ CallBackURL: gw.callbackUrl, AccountReference: 'Ask', TransactionType: 'CustomerPayBillOnline' },
    });
    await gw.daraja.settled();
    expect(push?.callbackStatuses).toEqual([200]);
    expect(await payments()).toMatchObject([
      {
        status: 'paid',
        paid_amount: 20,
        receipt: push?.receipt,
        msisdn: null,
        checkout_request_id: push?.checkoutRequestId,
      },
    ]);
    const subs = await subscriptions();
    expect(subs).toHaveLength(1);
    expect(Number(subs[0]?.['ends_at']) - Number(subs[0]?.['starts_at'])).toBe(30 * DAY);

    const until30 = endDate(before);
    expect((await gw.dial())[0]).toBe(
      `CON Payment received. Unlimited questions until ${until30}.\n1. Ask a question\n2. Main menu`,
    );
    expect((await gw.dial())[0]).toMatch(/^CON Welcome to Ask/); // told once
    expect((await gw.dial(['2']))[1]).toContain(`Plan: Subscribed until ${until30}`);
    // Never offered again: My account lists no Subscribe, and its key is no choice.
    expect((await gw.dial(['2']))[1]).not.toContain('2. Subscribe');
    expect((await gw.dial(['2', '2']))[2]).toMatch(/^CON Invalid choice\.\nMy account\n/);
    expect(gw.daraja.pushes).toHaveLength(1);
    expect(await tier()).toEqual([
      ['offer', 'menu'],
      ['accept', null],
      ['requested', 20],
      ['paid', 20],
    ]);
  });

  it.each([
    ['cancelled', 'you cancelled it.', 1032],
    ['wrong-pin', 'the PIN was wrong.', 2001],
    ['no-answer', 'the PIN was not entered in time.', 1037],
    ['insufficient', 'not enough money on M-Pesa.', 1],
  ] as const)(
    '%s: recorded with why, no subscription, the next dial says so and offers to try again',
    async (outcome, why, code) => {
      gw.daraja.set({ outcome });
      expect(await subscribe()).toBe(CHECK_PHONE);
      expect(await payments()).toMatchObject([{ status: 'failed', failure: outcome, result_code: code }]);
      expect(await subscriptions()).toEqual([]);
      const next = await gw.dial(['1']);
      expect(next[0]).toBe(
        `CON Your payment of KES 20 did not go through: ${why}\n1. Try again\n2. Main menu`,
      );
      expect(next[1]).toMatch(/^CON Unlimited questions, 30-day plan: KES 20\./); // the offer again
      expect(await tier()).toContainEqual(['failed', outcome]);
    },
  );

  it('no callback: the status query finds the payment, and it is paid', async () => {
    gw.daraja.set({ callbacks: 0 });
    await subscribe();
    await gw.mpesa().sweep(); // too early: nothing asked yet
    expect(gw.daraja.count('/mpesa/stkpushquery/v1/query')).toBe(0);
    await new Promise((r) => setTimeout(r, 250));
    await gw.mpesa().sweep();
    expect(gw.daraja.count('/mpesa/stkpushquery/v1/query')).toBe(1);
    expect(await payments()).toMatchObject([{ status: 'paid', paid_amount: 20, receipt: null }]);
    expect(await subscriptions()).toHaveLength(1);
    expect((await gw.dial())[0]).toMatch(/^CON Payment received/);
  });

  it('no verdict at all: asked again while "being processed", then expired; nothing subscribed', async () => {
    await gw.close();
    gw = await startPayGateway({ tuning: { expireAfterMs: 600 } });
    gw.daraja.set({ outcome: 'never' });
    await subscribe();
    await new Promise((r) => setTimeout(r, 250));
    await gw.mpesa().sweep();
    expect(await payments()).toMatchObject([{ status: 'pushed', queries: 1 }]);
    await new Promise((r) => setTimeout(r, 450));
    await gw.mpesa().sweep();
    expect(await payments()).toMatchObject([{ status: 'expired' }]);
    expect(await subscriptions()).toEqual([]);
    expect((await gw.dial())[0]).toContain('did not go through: M-Pesa did not confirm it.');
    expect((await tier()).at(-1)).toEqual(['expired', 'expired']);
    // The confirmation comes after all (the phone was told it failed): the money counts, and the
    // next dial says so, once.
    const push = gw.daraja.pushes[0] as NonNullable<(typeof gw.daraja.pushes)[0]>;
    const confirmed = gw.daraja.callbackBody(push);
    expect(await gw.daraja.post(push, confirmed)).toBe(200);
    expect(await subscriptions()).toHaveLength(1);
    expect((await gw.dial())[0]).toMatch(/^CON Payment received\. Unlimited questions until /);
    expect((await gw.dial())[0]).toMatch(/^CON Welcome to Ask/);
  });

  it('the callback twice: one subscription, one paid step, both answered 200', async () => {
    gw.daraja.set({ callbacks: 2 });
    await subscribe();
    expect(gw.daraja.pushes[0]?.callbackStatuses).toEqual([200, 200]);
    expect(await subscriptions()).toHaveLength(1);
    expect((await tier()).filter(([e]) => e === 'paid')).toHaveLength(1);
  });

  it('a forged callback changes nothing: unknown request, wrong amount, wrong phone, wrong secret', async () => {
    gw.daraja.set({ outcome: 'never' }); // Daraja itself says nothing; the forger does
    await subscribe();
    const push = gw.daraja.pushes[0];
    if (!push) throw new Error('no push');
    const genuine = gw.daraja.callbackBody(push) as { Body: { stkCallback: Record<string, unknown> } };
    const unknown = {
      Body: { stkCallback: { ...genuine.Body.stkCallback, CheckoutRequestID: 'ws_CO_forged' } },
    };
    expect(await gw.daraja.post(push, unknown)).toBe(200);
    expect(await gw.daraja.post(push, gw.daraja.callbackBody(push, { amount: 1 }))).toBe(200);
    expect(await gw.daraja.post(push, gw.daraja.callbackBody(push, { phone: 254722000000 }))).toBe(200);
    const wrongSecret = gw.callbackUrl.replace(/[^/]+$/, 'not-the-secret-0123456789');
    expect(await gw.daraja.post(push, genuine, wrongSecret)).toBe(403);
    expect(await gw.daraja.post(push, { hello: 'world' })).toBe(400);
    expect(await payments()).toMatchObject([{ status: 'pushed' }]);
    expect(await subscriptions()).toEqual([]);
    expect((await gw.dial(['2']))[1]).toContain('Plan: Payment pending'); // still: no verdict yet
    // The genuine one, when it comes, is believed.
    expect(await gw.daraja.post(push, genuine)).toBe(200);
    expect(await subscriptions()).toHaveLength(1);
  });

  it('a push Daraja refuses is a failure the user hears of; it is never pushed again', async () => {
    gw.daraja.set({ pushError: { status: 500, errorCode: '500.003.02', errorMessage: 'System is busy' } });
    await gw.dial(['2', '2', '1']);
    await until(async () => (await payments())[0]?.['status'] === 'failed');
    expect(await payments()).toMatchObject([{ failure: 'other', result_desc: '500.003.02 System is busy' }]);
    await gw.mpesa().sweep();
    expect((await gw.dial())[0]).toContain('did not go through: M-Pesa could not complete it.');
  });

  it('while the prompt is on the phone the offer is not made again, and no second push is sent', async () => {
    gw.daraja.set({ outcome: 'never' });
    await subscribe();
    const again = await gw.dial(['2', '2', '1']);
    expect(again[1]).toContain('\nPlan: Payment pending\n');
    expect(again.at(-1)).toBe(
      'END We are waiting for M-Pesa to confirm your payment of KES 20. Dial again in a few minutes to see it.',
    );
    await new Promise((r) => setTimeout(r, 150));
    expect(gw.daraja.pushes).toHaveLength(1);
    expect(await payments()).toHaveLength(1);
  });

  it("with SMS configured, the receipt goes by SMS, once, in the phone's language", async () => {
    await gw.close();
    gw = await startPayGateway({ sms: true });
    gw.daraja.set({ callbacks: 2 });
    await gw.dial(['2', '1', '2']); // Kiswahili
    const before = Date.now();
    await subscribe();
    await until(() => (gw.sms?.sent().length ?? 0) > 0);
    await new Promise((r) => setTimeout(r, 100));
    const sent = gw.sms?.sent() ?? [];
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      to: PHONE,
      message: `Ask: malipo ya KES 20 yamepokelewa (M-Pesa ${gw.daraja.pushes[0]?.receipt}). Maswali bila kikomo hadi ${endDate(before, 'Jan Feb Mac Apr Mei Jun Jul Ago Sep Okt Nov Des')}.`,
    });
  });

  it('a phone number M-Pesa does not serve is not asked to pay', async () => {
    const replies = await gw.dial(['2', '2', '1'], '+255711000001');
    expect(replies.at(-1)).toMatch(/^END /);
    expect(replies.at(-1)).not.toContain('Check your phone');
    expect(await payments()).toEqual([]);
    expect(PHONE).toBe('+254711000001');
  });
});
