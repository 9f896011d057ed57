// Applying Daraja's verdict on a payment (issue 14), whoever brings it: the STK callback, or the
// status query of the sweep. The record is settled once (records store: idempotent, and a payment
// confirmed starts the subscription in the same transaction); only a settle that applied logs the
// funnel's step, tells the hops (the phone's profile) and sends the receipt by SMS. A callback is
// believed only for a payment we asked for, for its amount and its phone: anything else changes
// nothing and is logged.
import type { InteractionLog } from '../log/types.ts';
import type { Logger } from '../logger.ts';
import type { PaymentRecord, PaymentRecords, SettleVerdict } from '../records/payments.ts';
import { parseStkCallback } from './daraja-wire.ts';
import type { PaymentVerdict } from './types.ts';

/**
 * Tells what the hops read of the phone (the session store's cached profile) that its payment has
 * an outcome: forgets it, so the next hop reads the records store. Throws when it cannot.
 */
export type PaymentNotify = (phoneHash: string) => Promise<void>;

/** How long a background call to the records store may take (a hop's own calls use its deadline). */
export const RECORDS_MS = 5_000;

/**
 * Sends the receipt by SMS (src/sms/, issue 13), when SMS is configured: `payment` as read before
 * it was settled (its number is erased once settled). At most once: only a settle that applied
 * sends it; M-Pesa sends its own confirmation besides.
 */
export type SendReceipt = (
  payment: PaymentRecord,
  paid: { receipt: string | null; subscribedUntil: number },
) => Promise<void>;

export interface SettleDeps {
  records: PaymentRecords;
  log: InteractionLog;
  notify?: PaymentNotify | undefined;
  receipt?: SendReceipt | undefined;
  price: string;
  /** The keyed hash of a phone number as AT sends it (+2547…): the records' key. */
  hashPhone: (phone: string) => string;
  logger: Logger;
  clock: () => number;
}

export type CallbackOutcome = 'applied' | 'duplicate' | 'unknown' | 'mismatch' | 'invalid';

export function createSettler(deps: SettleDeps) {
  const { records, log, logger, clock } = deps;
  const within = () => ({ deadline: clock() + RECORDS_MS });

  /** Settles `payment` (as read before) with `verdict`; the funnel, the profile and SMS when it applied. */
  async function settle(
    payment: PaymentRecord,
    verdict: SettleVerdict,
    source: 'callback' | 'query' | 'push',
  ) {
    const now = clock();
    const result = await records.settlePayment(payment.id, verdict, now, within());
    if (!result.applied) return false;
    const settled = result.payment;
    const fields = { paymentId: settled.id, source, status: settled.status };
    if (verdict.kind === 'paid') logger.info({ ...fields, receipt: verdict.receipt }, '[payments] paid');
    else logger.info({ ...fields, desc: verdict.resultDesc }, `[payments] ${settled.status}`);
    log.recordTier({
      at: now,
      sessionId: settled.sessionId,
      phoneHash: settled.phoneHash,
      event: verdict.kind,
      price: deps.price,
      days: settled.days,
      mode: 'mpesa',
      paymentId: settled.id,
      ...(verdict.kind === 'paid'
        ? { amount: verdict.amount, ...(verdict.receipt ? { receipt: verdict.receipt } : {}) }
        : { reason: verdict.kind === 'failed' ? verdict.failure : 'expired' }),
    });
    const until = settled.subscribedUntil ?? undefined;
    // The record is the truth and is written; the cached profile is told now, or by the sweep.
    await tell(settled.id, settled.phoneHash);
    if (verdict.kind === 'paid' && deps.receipt && payment.msisdn && until !== undefined) {
      await deps
        .receipt(payment, { receipt: verdict.receipt, subscribedUntil: until })
        .catch((err: unknown) =>
          logger.warn({ err, paymentId: settled.id }, '[payments] receipt SMS not sent'),
        );
    }
    return true;
  }

  /** Tells the phone's cached profile of a settled payment; the sweep asks again until it is told. */
  async function tell(id: string, phoneHash: string): Promise<void> {
    try {
      await deps.notify?.(phoneHash);
      await records.markProfileTold(id, within());
    } catch (err) {
      logger.warn({ err, paymentId: id }, '[payments] cached profile not told yet; the sweep retries');
    }
  }

  /** Daraja's STK callback: believed only for our push, its amount and its phone. */
  async function callback(body: unknown): Promise<CallbackOutcome> {
    const parsed = parseStkCallback(body);
    if (!parsed.ok) {
      logger.warn({ error: parsed.error }, '[payments] callback refused: not an STK callback');
      return 'invalid';
    }
    const { verdict } = parsed;
    const payment =
      (await records.paymentByCheckout(verdict.checkoutRequestId, within())) ??
      (await adopted(verdict, parsed.merchantRequestId));
    if (!payment) {
      // Nothing we asked for. A paid one is logged loudly, with its receipt, to be reconciled.
      const level = verdict.kind === 'paid' ? 'error' : 'warn';
      logger[level](
        {
          checkoutRequestId: verdict.checkoutRequestId,
          ...(verdict.kind === 'paid' ? { receipt: verdict.receipt } : {}),
        },
        '[payments] callback for a request we do not know: nothing changed',
      );
      return 'unknown';
    }
    if (verdict.kind === 'paid' && !matches(payment, verdict, deps.hashPhone)) {
      logger.error(
        { paymentId: payment.id, amount: verdict.amount, expected: payment.amount, receipt: verdict.receipt },
        '[payments] callback does not match its request (amount or phone): nothing changed',
      );
      return 'mismatch';
    }
    return (await settle(payment, toSettle(verdict, payment), 'callback')) ? 'applied' : 'duplicate';
  }

  /**
   * A confirmation of a push whose answer we never got (payments/checkout.ts: cut off, timed out;
   * settled as failed, never pushed again): Daraja made it and the money came. Found by the
   * phone it names (unmasked only) and the amount, among pushes started lately with no answer.
   */
  async function adopted(verdict: PaymentVerdict, merchantRequestId: string) {
    if (verdict.kind !== 'paid' || verdict.amount === null || !verdict.msisdn) return null;
    if (!/^254\d{9}$/.test(verdict.msisdn)) return null;
    const ids = { checkoutRequestId: verdict.checkoutRequestId, merchantRequestId };
    const since = clock() - ADOPT_WITHIN_MS;
    const phoneHash = deps.hashPhone(`+${verdict.msisdn}`);
    const payment = await records.adoptCheckout(phoneHash, verdict.amount, since, ids, within());
    if (payment)
      logger.warn(
        { paymentId: payment.id, checkoutRequestId: ids.checkoutRequestId },
        '[payments] a confirmation of a push whose answer was lost: adopted',
      );
    return payment;
  }

  return { settle, callback, tell };
}

/** How long after a push with a lost answer its confirmation is still taken as its own. */
const ADOPT_WITHIN_MS = 30 * 60_000;

/** The verdict as the records store applies it; the query confirms without an amount: ours. */
export function toSettle(verdict: PaymentVerdict, payment: PaymentRecord): SettleVerdict {
  if (verdict.kind === 'paid')
    return {
      kind: 'paid',
      amount: verdict.amount ?? payment.amount,
      receipt: verdict.receipt,
      resultDesc: verdict.resultDesc,
    };
  return {
    kind: 'failed',
    failure: verdict.failure,
    resultCode: verdict.resultCode,
    resultDesc: verdict.resultDesc,
  };
}

/**
 * A confirmation for the shillings we asked for, from the phone we asked: the callback's
 * PhoneNumber (2547…) against the number we pushed to while we hold it (digits Daraja masks with
 * '*' match any), or against the phone's keyed hash once the number is erased (a late confirmation
 * of a payment settled as failed or expired; a masked number then cannot be told apart).
 */
function matches(
  payment: PaymentRecord,
  verdict: Extract<PaymentVerdict, { kind: 'paid' }>,
  hashPhone: (phone: string) => string,
): boolean {
  if (verdict.amount !== payment.amount) return false;
  const given = verdict.msisdn ?? '';
  const expected = payment.msisdn;
  if (expected !== null)
    return given.length === expected.length && [...given].every((c, i) => c === '*' || c === expected[i]);
  return given.includes('*') || hashPhone(`+${given}`) === payment.phoneHash;
}
