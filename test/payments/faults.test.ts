// Paying by M-Pesa when things go wrong (issue 14): Redis away when Daraja's callback comes, the
// gateway restarted between the push and the callback, a push a stopped process left unmade, and
// two gateways sweeping one file. Money and records are never lost or doubled; the subscription
// starts exactly when the money is confirmed, and the phone is told.
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { PaymentRecord } from '../../src/records/payments.ts';
import { type RedisServer, startRedisServer } from '../helpers/redis-server.ts';
import { type PayGateway, startPayGateway, until } from './gateway.ts';

const soon = () => ({ deadline: Date.now() + 5_000 });
const opened: PayGateway[] = [];
let redis: RedisServer | null = null;
afterEach(async () => {
  for (const g of opened.splice(0)) await g.close();
  await redis?.dispose();
  redis = null;
});
async function gateway(options: Parameters<typeof startPayGateway>[0] = {}): Promise<PayGateway> {
  const g = await startPayGateway(options);
  opened.push(g);
  return g;
}
const status = async (g: PayGateway) => (await g.rows('payments')).map((p) => p['status']);
const paidSubscriptions = async (g: PayGateway) =>
  (await g.rows('subscriptions')).filter((s) => s['source'] === 'mpesa').length;

describe('paying by M-Pesa, faults', () => {
  it('a callback while Redis is down is recorded; a stale cached profile is corrected by the sweep', async () => {
    redis = await startRedisServer();
    const gw = await gateway({ redisUrl: redis.url });
    gw.daraja.set({ callbacks: 0 });
    await gw.dial(['2', '2', '1']);
    await until(() => gw.daraja.pushes.length === 1);
    const push = gw.daraja.pushes[0] as NonNullable<(typeof gw.daraja.pushes)[0]>;
    await redis.stop();
    expect(await gw.daraja.post(push, gw.daraja.callbackBody(push))).toBe(200);
    expect(await status(gw)).toEqual(['paid']);
    expect(await paidSubscriptions(gw)).toBe(1);
    // The cached profile could not be told: it is owed.
    expect((await gw.rows('payments'))[0]?.['profile_told']).toBe(0);
    expect((await gw.dial())[0]).toMatch(/^END /); // no sessions without Redis: a polite END
    await redis.start();
    // Redis comes back holding the profile as it was before (a failover to a replica that missed it).
    await until(async () => {
      try {
        await gw.store().cacheProfile(gw.hash(), {});
        return true;
      } catch {
        return false;
      }
    });
    expect((await gw.dial(['2']))[1]).toContain('Plan: Free');
    await until(async () => {
      await gw.mpesa().sweep();
      return (await gw.rows('payments'))[0]?.['profile_told'] === 1;
    });
    expect((await gw.dial())[0]).toMatch(/^CON Payment received/);
    expect((await gw.dial(['2']))[1]).toContain('Plan: Subscribed until');
  });

  it('a restart between the push and the callback: the callback reaches the new process', async () => {
    const gw = await gateway();
    gw.daraja.set({ verdictMs: 800 });
    await gw.dial(['2', '2', '1']);
    await until(() => gw.daraja.pushes.length === 1);
    await gw.stop();
    await gw.start();
    await gw.daraja.settled();
    expect(gw.daraja.pushes[0]?.callbackStatuses).toEqual([200]);
    expect(await status(gw)).toEqual(['paid']);
    expect(await paidSubscriptions(gw)).toBe(1);
    expect((await gw.dial())[0]).toMatch(/^CON Payment received/);
  });

  it('a callback lost while the gateway was down: the restarted sweep asks Daraja', async () => {
    const gw = await gateway();
    gw.daraja.set({ verdictMs: 300 });
    await gw.dial(['2', '2', '1']);
    await until(() => gw.daraja.pushes.length === 1);
    await gw.stop();
    await gw.daraja.settled(); // posted to a closed port: lost
    await gw.start();
    await new Promise((r) => setTimeout(r, 250));
    await gw.mpesa().sweep();
    expect(await status(gw)).toEqual(['paid']);
    expect(gw.daraja.pushes).toHaveLength(1);
  });

  it('a push a stopped process left unmade is made by the sweep, once', async () => {
    const gw = await gateway();
    const hash = gw.hash();
    const left: PaymentRecord = {
      ...{
        id: 'pay:left-by-a-crash',
        phoneHash: hash,
        msisdn: '254711000001',
        sessionId: 'ATUid_x',
        amount: 20,
      },
      ...{ days: 30, status: 'requested', requestedAt: Date.now() - 60_000, pushStartedAt: null },
      ...{ checkoutRequestId: null, merchantRequestId: null, nextCheckAt: Date.now() - 1, queries: 0 },
      ...{ settledAt: null, failure: null, resultCode: null, resultDesc: null, receipt: null },
      ...{ paidAmount: null, subscribedUntil: null },
    };
    await gw.records().createPayment(left, soon());
    await Promise.all([gw.mpesa().sweep(), gw.mpesa().sweep()]);
    await gw.mpesa().sweep();
    expect(gw.daraja.pushes).toHaveLength(1);
    await gw.daraja.settled();
    expect(await status(gw)).toEqual(['paid']);
  });

  it('a push whose outcome is unknown (cut off mid-call) is never sent again', async () => {
    const gw = await gateway();
    const left: PaymentRecord = {
      ...{
        id: 'pay:cut-off',
        phoneHash: gw.hash(),
        msisdn: '254711000001',
        sessionId: 'ATUid_y',
        amount: 20,
      },
      ...{
        days: 30,
        status: 'requested',
        requestedAt: Date.now() - 60_000,
        pushStartedAt: Date.now() - 59_000,
      },
      ...{ checkoutRequestId: null, merchantRequestId: null, nextCheckAt: Date.now() - 1, queries: 0 },
      ...{ settledAt: null, failure: null, resultCode: null, resultDesc: null, receipt: null },
      ...{ paidAmount: null, subscribedUntil: null },
    };
    await gw.records().createPayment(left, soon());
    await gw.mpesa().sweep();
    expect(gw.daraja.pushes).toHaveLength(0);
    expect(await gw.rows('payments')).toMatchObject([{ status: 'failed', failure: 'other' }]);
  });

  it("a push whose answer was lost but which Daraja made: its confirmation is the money, and it is the phone's", async () => {
    const gw = await gateway({ client: { timeoutMs: 150 } });
    gw.daraja.set({ pushDelayMs: 400, verdictMs: 100 }); // Daraja answers after we gave up
    await gw.dial(['2', '2', '1']);
    await until(async () => (await status(gw))[0] === 'failed');
    await until(() => gw.daraja.pushes.length === 1);
    await gw.daraja.settled();
    expect(gw.daraja.pushes[0]?.callbackStatuses).toEqual([200]);
    expect(await gw.rows('payments')).toMatchObject([
      { status: 'paid', paid_amount: 20, checkout_request_id: gw.daraja.pushes[0]?.checkoutRequestId },
    ]);
    expect(await paidSubscriptions(gw)).toBe(1);
    // Again (Daraja resends): a duplicate. Someone else's paid callback for another request: nothing.
    const push = gw.daraja.pushes[0] as NonNullable<(typeof gw.daraja.pushes)[0]>;
    expect(await gw.daraja.post(push, gw.daraja.callbackBody(push))).toBe(200);
    const stranger = gw.daraja.callbackBody(push, { phone: 254722000000 }) as {
      Body: { stkCallback: Record<string, unknown> };
    };
    stranger.Body.stkCallback['CheckoutRequestID'] = 'ws_CO_someone_else';
    expect(await gw.daraja.post(push, stranger)).toBe(200);
    expect(await paidSubscriptions(gw)).toBe(1);
    expect((await gw.dial())[0]).toMatch(/^CON Payment received/);
  });

  it('MPESA_ALLOWED_IPS: a callback from another address is refused and changes nothing; the query settles it', async () => {
    const gw = await gateway({ env: { MPESA_ALLOWED_IPS: '196.201.214.0/24' } }); // not loopback
    await gw.dial(['2', '2', '1']);
    await until(() => gw.daraja.pushes.length === 1);
    await gw.daraja.settled();
    expect(gw.daraja.pushes[0]?.callbackStatuses).toEqual([403]);
    expect(await status(gw)).toEqual(['pushed']);
    expect(await paidSubscriptions(gw)).toBe(0);
    await new Promise((r) => setTimeout(r, 250)); // MPESA_QUERY_AFTER_SECONDS (200 ms here)
    await gw.mpesa().sweep();
    expect(await status(gw)).toEqual(['paid']);
    expect(await paidSubscriptions(gw)).toBe(1);
  });

  it('the sweep works across processes on one file without doubling a push or a query', async () => {
    const gw = await gateway({ tuning: { pushDelayMs: 60_000 } }); // the pushes after the hops never come
    gw.daraja.set({ callbacks: 0 });
    for (const phone of ['+254711000011', '+254711000012', '+254711000013'])
      await gw.dial(['2', '2', '1'], phone);
    const ids = (await gw.rows('payments')).map((p) => String(p['id']));
    const file = new Database(gw.dbPath);
    file.prepare('UPDATE payments SET next_check_at = 0').run(); // due now, as after a crash
    file.close();
    const other = await gw.twin();
    await Promise.all([gw.mpesa().sweep(), other.mpesa.sweep(), gw.mpesa().sweep()]);
    expect(gw.daraja.pushes.map((p) => p.body['PhoneNumber']).sort()).toEqual([
      '254711000011',
      '254711000012',
      '254711000013',
    ]);
    expect(ids).toHaveLength(3);
  });
});
