// The SQLite driver of the records store: the tables live in the interaction log's file (one
// schema, src/log/migrations.ts), and every call goes to the SQLite worker thread the log writes
// through (sqlite/thread.ts), so a stuck disk costs a caller its deadline, never the event loop.
// A call not started by its deadline is never run (the worker drops it): a write the caller gave
// up on cannot land later, except one already running when the deadline came (then it is whole).
// The SQL: sqlite-handlers.ts. This file only names the calls and turns errors into ours.
import { RecordsStoreError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { createSqliteThread, type SqliteThread } from '../sqlite/thread.ts';
import type { PhoneProfile } from '../types.ts';
import type { PaymentRecord, Settled } from './payments.ts';
import { checkSubscription, type RecordsStore, type Subscription, type Within } from './types.ts';

export interface SqliteRecordsOptions {
  path: string;
  /** The worker thread shared with the log; without it the store starts its own for `path`. */
  thread?: SqliteThread;
  logger: Logger;
}

export function createSqliteRecords(options: SqliteRecordsOptions): RecordsStore {
  const ownThread = options.thread === undefined;
  const thread = options.thread ?? createSqliteThread({ path: options.path, logger: options.logger });

  async function call<R>(op: string, args: unknown, within: Within): Promise<R> {
    try {
      return await thread.call<R>(`records.${op}`, args, { deadline: within.deadline });
    } catch (err) {
      const code = (err as { code?: unknown })?.code;
      const timedOut = code === 'DEADLINE';
      const why = timedOut ? 'not done by its deadline' : (err as Error).message.replace(/^\[sqlite\] /, '');
      throw new RecordsStoreError(`[sqlite] ${op}: ${why}`, timedOut, { cause: err });
    }
  }

  return {
    getPhone: (phoneHash, within) => call<PhoneProfile>('getPhone', { phoneHash }, within),
    async setLanguage(phoneHash, lang, at, within) {
      if (!lang) throw new RecordsStoreError('setLanguage: empty language', false);
      await call<null>('setLanguage', { phoneHash, lang, at: Math.round(at) }, within);
    },
    async addSubscription(subscription: Subscription, within) {
      checkSubscription(subscription);
      return call<{ subscription: Subscription; created: boolean }>('addSubscription', subscription, within);
    },
    subscriptions: (phoneHash, within) => call<Subscription[]>('subscriptions', { phoneHash }, within),
    // Payments (issue 14; records/payment-sql.ts).
    createPayment: (payment, within, options) =>
      call<{ payment: PaymentRecord; created: boolean }>(
        'createPayment',
        { payment, openSince: options?.openSince ?? null },
        within,
      ),
    claimPayment: (id, now, leaseMs, within) =>
      call<PaymentRecord | null>('claimPayment', { id, now, leaseMs }, within),
    duePayments: (now, limit, within) => call<string[]>('duePayments', { now, limit }, within),
    startPush: async (id, now, within) => {
      await call<null>('startPush', { id, now }, within);
    },
    markPushed: async (id, ids, nextCheckAt, within) => {
      const { checkoutRequestId, merchantRequestId } = ids;
      await call<null>(
        'markPushed',
        { id, ids: { checkoutRequestId, merchantRequestId }, nextCheckAt },
        within,
      );
    },
    reschedule: async (id, nextCheckAt, queries, within) => {
      await call<null>('reschedule', { id, nextCheckAt, queries }, within);
    },
    settlePayment: (id, verdict, now, within) => call<Settled>('settlePayment', { id, verdict, now }, within),
    paymentByCheckout: (checkoutRequestId, within) =>
      call<PaymentRecord | null>('paymentByCheckout', { checkoutRequestId }, within),
    adoptCheckout: (phoneHash, amount, since, ids, within) => {
      const { checkoutRequestId, merchantRequestId } = ids;
      return call<PaymentRecord | null>(
        'adoptCheckout',
        { phoneHash, amount, since, ids: { checkoutRequestId, merchantRequestId } },
        within,
      );
    },
    markPaymentSeen: async (id, within) => {
      await call<null>('markPaymentSeen', { id, now: Date.now() }, within);
    },
    profilesToTell: (limit, within) =>
      call<{ id: string; phoneHash: string }[]>('profilesToTell', { limit }, within),
    markProfileTold: async (id, within) => {
      await call<null>('markProfileTold', { id }, within);
    },
    async close() {
      if (ownThread) await thread.close();
    },
  };
}
