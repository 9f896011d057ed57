// The records boundary: what must never be lost or doubled, kept in a database as the system of
// record (issue 14 item 1, issue 16 item 13): the language a phone chose and its subscriptions.
// The session store (Redis or memory) only caches a phone's profile (hop/profile.ts), so a
// restart, a lost Redis or a failover loses nothing kept here. Every write is idempotent, and the
// hop awaits it within its deadline before the user is told anything was saved.
// Drivers: sqlite.ts (the embedded default: the log's file, through the SQLite worker thread);
// a PostgreSQL driver joins later (issue 19) and must pass test/records/contract.ts as it is.
//
// Adding a record kind (payments next to subscriptions, an SMS's at-most-once claim, …):
// 1. its row type and methods here, each taking `within` (a deadline: no call waits unbounded)
//    and idempotent on a key the caller chooses (a payment's CheckoutRequestID, an SMS's id): the
//    same key twice stores one row (INSERT … ON CONFLICT DO NOTHING, then read back what is
//    stored, and say whether this call created it: a claim is exactly that);
// 2. its table in a migration appended to src/log/migrations.ts (shared by the log and records);
// 3. its SQL in sqlite-handlers.ts (one handler per method, run on the worker thread; writes in a
//    transaction ending with file.guard()) and the method in sqlite.ts (one thread.call each);
// 4. its cases in test/records/contract.ts, which every driver runs.
import { RecordsStoreError } from '../errors.ts';
import type { PhoneProfile } from '../types.ts';
import type { PaymentRecords } from './payments.ts';

export type SubscriptionSource = 'intent' | 'mpesa';
export const SUBSCRIPTION_SOURCES: readonly SubscriptionSource[] = ['intent', 'mpesa'];

export interface Subscription {
  /** The idempotency key, chosen by the caller: the same id twice is one subscription. */
  id: string;
  phoneHash: string;
  /** Epoch ms. */
  startsAt: number;
  endsAt: number;
  /** 'intent': accepted the offer, no money moved (the pilot); 'mpesa': paid (issue 14). */
  source: SubscriptionSource;
  /** The USSD session it was taken in; '' when none (a payment callback). */
  sessionId: string;
  /** What paid for it (a payment's id); null for intent. */
  reference: string | null;
  createdAt: number;
}

/** Bounds a call: it rejects with RecordsStoreError{timedOut} after `deadline` (epoch ms). */
export interface Within {
  deadline: number;
}

export interface RecordsStore extends PaymentRecords {
  /**
   * The phone's recorded profile: its language, the end of its latest subscription, and its latest
   * payment with whether its outcome was shown ({} when none).
   */
  getPhone(phoneHash: string, within: Within): Promise<PhoneProfile>;
  /**
   * Records the phone's language chosen at `at` (epoch ms). A choice older than the one recorded
   * (a retry arriving late) changes nothing.
   */
  setLanguage(phoneHash: string, lang: string, at: number, within: Within): Promise<void>;
  /**
   * Records a subscription, once per id: `created` is false when the id was recorded before, and
   * `subscription` is then the one recorded first, whatever this call carried.
   */
  addSubscription(
    subscription: Subscription,
    within: Within,
  ): Promise<{ subscription: Subscription; created: boolean }>;
  /** The phone's subscriptions, by start. */
  subscriptions(phoneHash: string, within: Within): Promise<Subscription[]>;
  close(): Promise<void>;
}

/** Checks a subscription before any driver stores it; throws RecordsStoreError. Pure. */
export function checkSubscription(s: Subscription): void {
  const problems: string[] = [];
  if (!s.id) problems.push('id is empty');
  if (!s.phoneHash) problems.push('phoneHash is empty');
  if (!SUBSCRIPTION_SOURCES.includes(s.source)) problems.push(`source ${JSON.stringify(s.source)}`);
  for (const field of ['startsAt', 'endsAt', 'createdAt'] as const)
    if (!Number.isSafeInteger(s[field])) problems.push(`${field} is not a whole number of ms`);
  if (s.endsAt < s.startsAt) problems.push('it ends before it starts');
  if (problems.length > 0) throw new RecordsStoreError(`bad subscription: ${problems.join(', ')}`, false);
}
