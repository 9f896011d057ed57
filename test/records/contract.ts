// The RecordsStore contract (src/records/types.ts), one suite run against every driver: SQLite now
// (records/sqlite.test.ts, real files in temp dirs), PostgreSQL when it joins (issue 19). A driver
// file calls describeRecordsContract with a harness: a fresh, empty database per test, and a way
// to open it again as a restarted gateway would. Driver-specific checks live beside the driver's
// call of this suite.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RecordsStoreError } from '../../src/errors.ts';
import type { QueuedLog } from '../../src/log/queued.ts';
import type { RecordsStore, Subscription } from '../../src/records/types.ts';
import { hop } from '../log/fixtures.ts';

export interface RecordsHarness {
  /** The store over this test's fresh database. */
  store: RecordsStore;
  /** A second store over the same database, as after a restart (the first may still be open). */
  reopen(): Promise<RecordsStore>;
  /** Removes the database; every store is closed by then. */
  cleanup(): Promise<void>;
}

const DAY = 86_400_000;
export const T0 = Date.UTC(2026, 0, 10, 9, 0, 0);
const soon = () => ({ deadline: Date.now() + 5_000 });

let seq = 0;
/** A phone hash no other test uses. */
export const phone = () => `phone-${process.pid}-${++seq}`;

export function subscription(over: Partial<Subscription> = {}): Subscription {
  return {
    id: `intent:ATUid_${++seq}`,
    phoneHash: 'p1',
    startsAt: T0,
    endsAt: T0 + 30 * DAY,
    source: 'intent',
    sessionId: `ATUid_${seq}`,
    reference: null,
    createdAt: T0,
    ...over,
  };
}

/**
 * What every driver owes when the records share the log's database: the log's retention purges an
 * old hop and its session, never the phone's language or subscription of the same age.
 */
export async function expectPurgeKeepsRecords(log: QueuedLog, records: RecordsStore): Promise<string> {
  const a = phone();
  const old = subscription({ phoneHash: a, startsAt: T0 - 400 * DAY, endsAt: T0 - 370 * DAY });
  await records.addSubscription(old, soon());
  await records.setLanguage(a, 'sw', T0 - 400 * DAY, soon());
  log.recordHop(hop({ at: T0 - 400 * DAY }));
  await log.flush();
  expect(await log.purge(T0)).toBe(2); // the hop and its sessions row
  expect(await records.getPhone(a, soon())).toEqual({ lang: 'sw', subscribedUntil: old.endsAt });
  return a;
}

export function describeRecordsContract(name: string, makeHarness: () => Promise<RecordsHarness>): void {
  describe(`RecordsStore contract: ${name}`, () => {
    let harness: RecordsHarness;
    let store: RecordsStore;
    const opened: RecordsStore[] = [];
    const reopen = async () => {
      const again = await harness.reopen();
      opened.push(again);
      return again;
    };

    beforeEach(async () => {
      harness = await makeHarness();
      store = harness.store;
    });
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
      await store.close();
      await harness.cleanup();
    });

    it('an unknown phone has an empty profile', async () => {
      expect(await store.getPhone(phone(), soon())).toEqual({});
      expect(await store.subscriptions(phone(), soon())).toEqual([]);
    });

    it('keeps the language a phone chose; the latest choice wins; other phones are untouched', async () => {
      const [a, b] = [phone(), phone()];
      await store.setLanguage(a, 'sw', T0, soon());
      expect(await store.getPhone(a, soon())).toEqual({ lang: 'sw' });
      await store.setLanguage(a, 'en', T0 + 1_000, soon());
      await store.setLanguage(a, 'en', T0 + 1_000, soon()); // a retry: the same
      expect(await store.getPhone(a, soon())).toEqual({ lang: 'en' });
      expect(await store.getPhone(b, soon())).toEqual({});
    });

    it('a late retry of an older language choice does not undo a newer one', async () => {
      const a = phone();
      await store.setLanguage(a, 'sw', T0 + 5_000, soon());
      await store.setLanguage(a, 'en', T0, soon());
      expect(await store.getPhone(a, soon())).toEqual({ lang: 'sw' });
    });

    it('records a subscription once per id: a retried write doubles nothing', async () => {
      const a = phone();
      const sub = subscription({ phoneHash: a });
      expect(await store.addSubscription(sub, soon())).toEqual({ subscription: sub, created: true });
      // The same id again, even carrying other values: the first one stands.
      const retry = { ...sub, endsAt: sub.endsAt + 30 * DAY, createdAt: T0 + 1 };
      expect(await store.addSubscription(retry, soon())).toEqual({ subscription: sub, created: false });
      expect(await store.subscriptions(a, soon())).toEqual([sub]);
      expect(await store.getPhone(a, soon())).toEqual({ subscribedUntil: sub.endsAt });
    });

    it('a phone is subscribed until the latest end of its subscriptions, listed by start', async () => {
      const a = phone();
      const first = subscription({ phoneHash: a, startsAt: T0, endsAt: T0 + 30 * DAY });
      const paid = subscription({
        phoneHash: a,
        startsAt: T0 + 30 * DAY,
        endsAt: T0 + 60 * DAY,
        source: 'mpesa',
        sessionId: '',
        reference: 'ws_CO_123',
      });
      const overlapping = subscription({ phoneHash: a, startsAt: T0 + DAY, endsAt: T0 + 31 * DAY });
      for (const s of [paid, overlapping, first]) await store.addSubscription(s, soon());
      await store.setLanguage(a, 'sw', T0, soon());
      expect(await store.getPhone(a, soon())).toEqual({ lang: 'sw', subscribedUntil: T0 + 60 * DAY });
      expect(await store.subscriptions(a, soon())).toEqual([first, overlapping, paid]);
    });

    it('keeps everything across a restart (another store over the same database)', async () => {
      const a = phone();
      const sub = subscription({ phoneHash: a });
      await store.setLanguage(a, 'sw', T0, soon());
      await store.addSubscription(sub, soon());
      await store.close();
      store = await reopen();
      expect(await store.getPhone(a, soon())).toEqual({ lang: 'sw', subscribedUntil: sub.endsAt });
      expect((await store.addSubscription(sub, soon())).created).toBe(false);
    });

    it('refuses a subscription that does not make sense, naming why, and stores nothing', async () => {
      const a = phone();
      const bad = [
        subscription({ phoneHash: a, id: '' }),
        subscription({ phoneHash: a, endsAt: T0 - 1 }),
        subscription({ phoneHash: a, source: 'cash' as Subscription['source'] }),
        subscription({ phoneHash: a, startsAt: 1.5 }),
      ];
      for (const s of bad) {
        await expect(store.addSubscription(s, soon())).rejects.toThrow(RecordsStoreError);
      }
      await expect(store.addSubscription(bad[1] as Subscription, soon())).rejects.toThrow(/ends before/);
      expect(await store.subscriptions(a, soon())).toEqual([]);
    });

    it('a call whose deadline has passed rejects as timed out and changes nothing', async () => {
      const a = phone();
      const past = { deadline: Date.now() - 1 };
      const attempts = [
        store.setLanguage(a, 'sw', T0, past),
        store.addSubscription(subscription({ phoneHash: a }), past),
        store.getPhone(a, past),
      ];
      for (const attempt of attempts) {
        const error = await attempt.then(
          () => null,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(RecordsStoreError);
        expect((error as RecordsStoreError).timedOut).toBe(true);
      }
      expect(await store.getPhone(a, soon())).toEqual({});
      expect(await store.subscriptions(a, soon())).toEqual([]);
    });
  });
}
