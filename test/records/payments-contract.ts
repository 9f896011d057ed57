// The payment records' part of the RecordsStore contract (records/payments.ts), run against every
// driver beside contract.ts: a payment written once, taken by one process at a time, settled once
// (a confirmation starts the subscription with it), and what the phone's profile says of it.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RecordsStoreError } from '../../src/errors.ts';
import type { PaymentRecord } from '../../src/records/payments.ts';
import type { RecordsStore } from '../../src/records/types.ts';
import { phone, type RecordsHarness, subscription, T0 } from './contract.ts';

const DAY = 86_400_000;
const soon = () => ({ deadline: Date.now() + 5_000 });
let seq = 0;

export function payment(over: Partial<PaymentRecord> = {}): PaymentRecord {
  seq++;
  return {
    ...{
      id: `pay-${process.pid}-${seq}`,
      phoneHash: 'p1',
      msisdn: '254711000001',
      sessionId: `ATUid_${seq}`,
    },
    ...{ amount: 20, days: 30, status: 'requested', requestedAt: T0, pushStartedAt: null },
    ...{ checkoutRequestId: null, merchantRequestId: null, nextCheckAt: T0 + 30_000, queries: 0 },
    ...{ settledAt: null, failure: null, resultCode: null, resultDesc: null, receipt: null },
    ...{ paidAmount: null, subscribedUntil: null },
    ...over,
  };
}

const paid = { kind: 'paid', amount: 20, receipt: 'TK12345678', resultDesc: 'processed' } as const;
const cancelled = {
  kind: 'failed',
  failure: 'cancelled',
  resultCode: 1032,
  resultDesc: 'cancelled',
} as const;
const ids = (n: string) => ({ checkoutRequestId: `ws_CO_${n}`, merchantRequestId: `m-${n}` });

export function describePaymentsContract(name: string, makeHarness: () => Promise<RecordsHarness>): void {
  describe(`RecordsStore contract, payments: ${name}`, () => {
    let harness: RecordsHarness;
    let store: RecordsStore;
    beforeEach(async () => {
      harness = await makeHarness();
      store = harness.store;
    });
    afterEach(async () => {
      await store.close();
      await harness.cleanup();
    });

    it('writes a payment once per id, and one process at a time may take it', async () => {
      const p = payment({ phoneHash: phone() });
      await store.createPayment(p, soon());
      await store.createPayment({ ...p, amount: 99 }, soon()); // a retry: the first stands
      const taken = await store.claimPayment(p.id, T0, 30_000, soon());
      expect(taken).toEqual(p);
      expect(await store.claimPayment(p.id, T0 + 1_000, 30_000, soon())).toBeNull(); // held
      expect(await store.claimPayment(p.id, T0 + 30_000, 30_000, soon())).not.toBeNull(); // its claim ran out
      expect(await store.claimPayment('nope', T0, 30_000, soon())).toBeNull();
    });

    it('holds a second payment while the phone has one open since openSince (two accepts at once)', async () => {
      const h = phone();
      const first = payment({ phoneHash: h, requestedAt: T0 });
      expect(await store.createPayment(first, soon(), { openSince: T0 - 1 })).toEqual({
        payment: first,
        created: true,
      });
      const again = await store.createPayment(first, soon(), { openSince: T0 - 1 });
      expect(again).toEqual({ payment: first, created: false });
      const second = payment({ phoneHash: h, requestedAt: T0 + 1_000 });
      expect(await store.createPayment(second, soon(), { openSince: T0 })).toEqual({
        payment: first,
        created: false,
      });
      expect(await store.claimPayment(second.id, T0, 30_000, soon())).toBeNull(); // never written
      // Open, but older than openSince: the phone may try again.
      const later = payment({ phoneHash: h, requestedAt: T0 + 200_000 });
      expect((await store.createPayment(later, soon(), { openSince: T0 + 1 })).created).toBe(true);
      // Settled: no longer holds.
      await store.settlePayment(later.id, cancelled, T0 + 210_000, soon());
      const retry = payment({ phoneHash: h, requestedAt: T0 + 220_000 });
      expect((await store.createPayment(retry, soon(), { openSince: T0 + 1 })).created).toBe(true);
      // Another phone is not held by this one's.
      const other = payment({ phoneHash: phone(), requestedAt: T0 + 220_000 });
      expect((await store.createPayment(other, soon(), { openSince: T0 })).created).toBe(true);
    });

    it('gives a push whose answer was lost the ids its confirmation brings, once', async () => {
      const h = phone();
      const lost = payment({ phoneHash: h });
      const answered = payment({ phoneHash: h });
      for (const p of [lost, answered]) {
        await store.createPayment(p, soon());
        await store.claimPayment(p.id, T0, 30_000, soon());
        await store.startPush(p.id, T0 + 1_000, soon());
      }
      await store.markPushed(answered.id, ids(answered.id), T0 + 60_000, soon());
      await store.settlePayment(lost.id, { ...cancelled, failure: 'other', resultCode: null }, T0, soon());
      expect(await store.adoptCheckout(h, 99, T0, ids('x'), soon())).toBeNull(); // not its amount
      expect(await store.adoptCheckout(h, 20, T0 + 2_000, ids('x'), soon())).toBeNull(); // too old
      expect(await store.adoptCheckout(phone(), 20, T0, ids('x'), soon())).toBeNull(); // not its phone
      const adopted = await store.adoptCheckout(h, 20, T0, ids('x'), soon());
      expect(adopted).toMatchObject({ id: lost.id, status: 'failed', checkoutRequestId: 'ws_CO_x' });
      expect(await store.paymentByCheckout('ws_CO_x', soon())).toMatchObject({ id: lost.id });
      expect(await store.adoptCheckout(h, 20, T0, ids('y'), soon())).toBeNull(); // it has its ids now
    });

    it('lists open payments due and not held, by their next check', async () => {
      const h = phone();
      const [a, b, c] = [40_000, 35_000, 90_000].map((next) =>
        payment({ phoneHash: h, nextCheckAt: T0 + next }),
      ) as [PaymentRecord, PaymentRecord, PaymentRecord];
      for (const p of [a, b, c]) await store.createPayment(p, soon());
      const due = await store.duePayments(T0 + 60_000, 10, soon());
      expect(due.filter((id) => [a.id, b.id, c.id].includes(id))).toEqual([b.id, a.id]);
      await store.claimPayment(b.id, T0 + 60_000, 30_000, soon());
      expect(await store.duePayments(T0 + 60_000, 10, soon())).not.toContain(b.id);
    });

    it('records the push: started, accepted, its next check; found by its CheckoutRequestID', async () => {
      const p = payment({ phoneHash: phone() });
      await store.createPayment(p, soon());
      await store.claimPayment(p.id, T0, 30_000, soon());
      await store.startPush(p.id, T0 + 2_000, soon());
      await store.markPushed(p.id, ids(p.id), T0 + 120_000, soon());
      const found = await store.paymentByCheckout(`ws_CO_${p.id}`, soon());
      expect(found).toMatchObject({ status: 'pushed', pushStartedAt: T0 + 2_000, nextCheckAt: T0 + 120_000 });
      expect(await store.claimPayment(p.id, T0 + 3_000, 30_000, soon())).not.toBeNull(); // released
      await store.reschedule(p.id, T0 + 300_000, 1, soon());
      expect(await store.paymentByCheckout(`ws_CO_${p.id}`, soon())).toMatchObject({ queries: 1 });
      expect(await store.paymentByCheckout('ws_CO_unknown', soon())).toBeNull();
    });

    it('a confirmation is applied once and starts the subscription in the same step', async () => {
      const h = phone();
      const p = payment({ phoneHash: h });
      await store.createPayment(p, soon());
      const first = await store.settlePayment(p.id, paid, T0 + 60_000, soon());
      expect(first.applied).toBe(true);
      expect(first.payment).toMatchObject({
        ...{ status: 'paid', paidAmount: 20, receipt: 'TK12345678', msisdn: null },
        subscribedUntil: T0 + 60_000 + 30 * DAY,
      });
      for (const again of [paid, cancelled]) {
        expect((await store.settlePayment(p.id, again, T0 + 90_000, soon())).applied).toBe(false);
      }
      expect(await store.subscriptions(h, soon())).toEqual([
        {
          ...{ id: p.id, phoneHash: h, startsAt: T0 + 60_000, endsAt: T0 + 60_000 + 30 * DAY },
          ...{ source: 'mpesa', sessionId: p.sessionId, reference: p.id, createdAt: T0 + 60_000 },
        },
      ]);
      expect(await store.claimPayment(p.id, T0 + 100_000, 30_000, soon())).toBeNull(); // closed
    });

    it('a paid subscription runs on from the end of the one the phone has', async () => {
      const h = phone();
      await store.addSubscription(subscription({ phoneHash: h, endsAt: T0 + 10 * DAY }), soon());
      const p = payment({ phoneHash: h });
      await store.createPayment(p, soon());
      const { payment: settled } = await store.settlePayment(p.id, paid, T0, soon());
      expect(settled?.subscribedUntil).toBe(T0 + 40 * DAY);
      expect(await store.getPhone(h, soon())).toMatchObject({ subscribedUntil: T0 + 40 * DAY });
    });

    it('a failure or expiry is recorded once on an open payment; a late confirmation still counts', async () => {
      const h = phone();
      const p = payment({ phoneHash: h });
      await store.createPayment(p, soon());
      expect((await store.settlePayment(p.id, cancelled, T0, soon())).payment).toMatchObject({
        ...{ status: 'failed', failure: 'cancelled', resultCode: 1032, msisdn: null },
      });
      expect((await store.settlePayment(p.id, cancelled, T0, soon())).applied).toBe(false);
      expect(
        (await store.settlePayment(p.id, { kind: 'expired', resultDesc: 'x' }, T0, soon())).applied,
      ).toBe(false);
      expect((await store.settlePayment(p.id, paid, T0 + 1_000, soon())).applied).toBe(true);
      expect(await store.getPhone(h, soon())).toMatchObject({ subscribedUntil: T0 + 1_000 + 30 * DAY });
    });

    it("the phone's profile carries its latest payment and whether its outcome was shown", async () => {
      const h = phone();
      const old = payment({ phoneHash: h, requestedAt: T0 });
      const latest = payment({ phoneHash: h, requestedAt: T0 + 1_000 });
      for (const p of [latest, old]) await store.createPayment(p, soon());
      expect(await store.getPhone(h, soon())).toEqual({
        payment: { id: latest.id, status: 'pending', at: T0 + 1_000 },
      });
      await store.settlePayment(latest.id, { kind: 'expired', resultDesc: 'no verdict' }, T0 + 2_000, soon());
      expect((await store.getPhone(h, soon())).payment).toEqual({
        ...{ id: latest.id, status: 'failed', failure: 'expired', at: T0 + 1_000 },
      });
      await store.markPaymentSeen(latest.id, soon());
      await store.markPaymentSeen(latest.id, soon());
      expect(await store.getPhone(h, soon())).toMatchObject({ paymentSeen: latest.id });
      // Confirmed after all: news again, to be shown once more.
      await store.settlePayment(latest.id, paid, T0 + 3_000, soon());
      const after = await store.getPhone(h, soon());
      expect(after.payment).toMatchObject({ id: latest.id, status: 'paid' });
      expect(after.paymentSeen).toBeUndefined();
    });

    it('a settled payment waits to be told to the cached profile until it is', async () => {
      const h = phone();
      const p = payment({ phoneHash: h });
      await store.createPayment(p, soon());
      expect(await store.profilesToTell(100, soon())).not.toContainEqual({ id: p.id, phoneHash: h });
      await store.settlePayment(p.id, paid, T0, soon());
      expect(await store.profilesToTell(100, soon())).toContainEqual({ id: p.id, phoneHash: h });
      await store.markProfileTold(p.id, soon());
      expect(await store.profilesToTell(100, soon())).not.toContainEqual({ id: p.id, phoneHash: h });
    });

    it('keeps payments across a restart, and a call past its deadline changes nothing', async () => {
      const h = phone();
      const p = payment({ phoneHash: h });
      await store.createPayment(p, soon());
      await store.close();
      store = await harness.reopen();
      expect(await store.claimPayment(p.id, T0, 30_000, soon())).toMatchObject({ id: p.id });
      const late = payment({ phoneHash: h });
      const error = await store.createPayment(late, { deadline: Date.now() - 1 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RecordsStoreError);
      expect((error as RecordsStoreError).timedOut).toBe(true);
      expect(await store.claimPayment(late.id, T0, 30_000, soon())).toBeNull();
    });
  });
}
