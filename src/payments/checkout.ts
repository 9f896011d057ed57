// The M-Pesa Payments driver (PAYMENTS_MODE=mpesa, issue 14): a hop's accept becomes a durable
// payment record (by the hop's deadline, or not at all: the phone is told only what was written),
// the STK push goes out shortly after the hop's END (a handset in a USSD session rejects the SIM
// prompt: sms-payments.md §2.2, 3GPP TS 23.090), Daraja's callback settles it (settle.ts), and the
// sweep (sweep.ts) pushes what a crash left unpushed and asks Daraja about pushes with no callback.
// Every push and query is made by whoever holds the record's claim (records store), so replicas
// on one file and a restarted process never push or settle a payment twice.

import { PENDING_HOLD_MS } from '../engine/offer.ts';
import { PaymentHttpError, PaymentRecordError } from '../errors.ts';
import type { InteractionLog } from '../log/types.ts';
import type { Logger } from '../logger.ts';
import type { PaymentRecord, PaymentRecords } from '../records/payments.ts';
import type { PaymentNotice } from '../types.ts';
import { toMsisdn } from './daraja-wire.ts';
import {
  type CallbackOutcome,
  createSettler,
  type PaymentNotify,
  RECORDS_MS,
  type SendReceipt,
} from './settle.ts';
import { createSweep } from './sweep.ts';
import type { MobileMoney, PaymentRequest, Payments } from './types.ts';

export interface MpesaPaymentsOptions {
  money: MobileMoney;
  records: PaymentRecords;
  log: InteractionLog;
  notify?: PaymentNotify;
  receipt?: SendReceipt;
  hashPhone: (phone: string) => string;
  /** Whole shillings (SUBSCRIPTION_PRICE), the price as shown, and the days it buys. */
  amount: number;
  price: string;
  days: number;
  /** MPESA_QUERY_AFTER_SECONDS: a push with no callback this long after is asked about. */
  queryAfterMs: number;
  /** No verdict this long after the push: expired (default 15 min; Daraja's prompt lasts ~1 min). */
  expireAfterMs?: number;
  /** Pause between the hop's END and the push (default 2 s), so the session has closed. */
  pushDelayMs?: number;
  /** How often the sweep runs (default 5 s). */
  sweepEveryMs?: number;
  logger: Logger;
  clock?: () => number;
}

export type MpesaPayments = Payments & {
  /** Daraja's STK callback (the route parses the HTTP, this the payload). Throws when the store fails. */
  callback(body: unknown): Promise<CallbackOutcome>;
  /** One pass of the sweep (it also runs by itself every few seconds). */
  sweep(): Promise<void>;
};

/** A claim outlives the longest call it covers: the client's 10 s limit, with room. */
export const CLAIM_MS = 30_000;
/** A payment the push right after its hop did not take (a crash, a restart) is taken by the sweep. */
const RESCUE_AFTER_MS = 30_000;

export function createMpesaPayments(opts: MpesaPaymentsOptions): MpesaPayments {
  const { money, records, log, logger, amount, days } = opts;
  const clock = opts.clock ?? Date.now;
  const pushDelayMs = opts.pushDelayMs ?? 2000;
  const within = () => ({ deadline: clock() + RECORDS_MS });
  const settler = createSettler({ ...opts, clock });
  const timers = new Map<NodeJS.Timeout, string>();
  const inFlight = new Set<Promise<unknown>>();
  let closed = false;

  const track = (work: Promise<unknown>) => {
    const p = work.catch((err: unknown) => logger.error({ err }, '[payments] background work failed'));
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };

  /** Claims the payment and pushes it, unless another process (a sweep) has it. */
  function pushSoon(id: string): void {
    track(
      records.claimPayment(id, clock(), CLAIM_MS, within()).then((claimed) => {
        if (claimed?.status === 'requested') return push(claimed);
      }),
    );
  }

  /** Pushes a payment it holds the claim of, once: a push started before is never sent again. */
  async function push(payment: PaymentRecord): Promise<void> {
    if (payment.pushStartedAt !== null || payment.msisdn === null) {
      // Daraja may have made it: only its callback can tell (settle.ts adopts it), else a person
      // with the M-Pesa statement. Said loudly, with what to look for.
      logger.error(
        { paymentId: payment.id, pushStartedAt: payment.pushStartedAt, amount: payment.amount },
        '[payments] a push cut off by a stop: outcome unknown, not pushed again; reconcile if no callback comes',
      );
      await settler.settle(
        payment,
        {
          kind: 'failed',
          failure: 'other',
          resultCode: null,
          resultDesc: 'push outcome unknown (interrupted)',
        },
        'push',
      );
      return;
    }
    await records.startPush(payment.id, clock(), within());
    try {
      const accepted = await money.push({ msisdn: payment.msisdn, amount: payment.amount });
      await records.markPushed(payment.id, accepted, clock() + opts.queryAfterMs, within());
      logger.info(
        { paymentId: payment.id, checkoutRequestId: accepted.checkoutRequestId },
        '[payments] pushed',
      );
    } catch (error) {
      // Refused by Daraja: a definite failure. No answer: unknown, and never pushed again.
      const desc =
        error instanceof PaymentHttpError
          ? `${error.code} ${error.detail}`
          : `push outcome unknown: ${String(error)}`;
      logger.warn({ err: error, paymentId: payment.id }, '[payments] push failed');
      await settler.settle(
        payment,
        { kind: 'failed', failure: 'other', resultCode: null, resultDesc: desc },
        'push',
      );
    }
  }

  const sweep = createSweep({ ...opts, clock, push, settle: settler.settle, tell: settler.tell });
  sweep.start(opts.sweepEveryMs ?? 5000);

  return {
    mode: 'mpesa',

    async request(req: PaymentRequest): Promise<PaymentNotice> {
      if (closed) throw new PaymentRecordError('shutting down: no new payments');
      const msisdn = toMsisdn(req.phone);
      if (msisdn === null) throw new PaymentRecordError('not an M-Pesa number (2547… or 2541…)');
      const payment: PaymentRecord = {
        ...{ id: req.id, phoneHash: req.phoneHash, msisdn, sessionId: req.sessionId, amount, days },
        ...{ status: 'requested', requestedAt: req.at, pushStartedAt: null, checkoutRequestId: null },
        ...{ merchantRequestId: null, nextCheckAt: req.at + pushDelayMs + RESCUE_AFTER_MS, queries: 0 },
        ...{ settledAt: null, failure: null, resultCode: null, resultDesc: null, receipt: null },
        ...{ paidAmount: null, subscribedUntil: null },
      };
      let stands: { payment: PaymentRecord; created: boolean };
      try {
        // A payment of this phone's still open from moments ago (another session's accept, on
        // this replica or another) stands instead: its push is the one PIN prompt.
        stands = await records.createPayment(
          payment,
          { deadline: req.deadline },
          { openSince: req.at - PENDING_HOLD_MS },
        );
      } catch (cause) {
        throw new PaymentRecordError('the payment could not be recorded in time', { cause });
      }
      // The same hop again (AT resent it), or another accept held: asked to pay once, pushed once.
      if (!stands.created) return noticeOf(stands.payment);
      log.recordTier({
        ...{ at: req.at, sessionId: req.sessionId, phoneHash: req.phoneHash, event: 'requested' },
        ...{ price: opts.price, days, mode: 'mpesa', paymentId: payment.id, amount },
      });
      const timer = setTimeout(() => {
        timers.delete(timer);
        pushSoon(payment.id);
      }, pushDelayMs);
      timers.set(timer, payment.id);
      return { id: payment.id, status: 'pending', at: req.at };
    },

    callback: (body) => settler.callback(body),

    sweep: () => sweep.once(),

    async close() {
      closed = true;
      sweep.stop();
      // The phones were told to expect the prompt: the pushes still waiting go out now.
      for (const [t, id] of timers) {
        clearTimeout(t);
        pushSoon(id);
      }
      timers.clear();
      await Promise.allSettled([...inFlight, sweep.idle()]);
    },
  };
}

/** What the hop's profile says of a payment that already stood. */
function noticeOf(p: PaymentRecord): PaymentNotice {
  if (p.status === 'requested' || p.status === 'pushed')
    return { id: p.id, status: 'pending', at: p.requestedAt };
  if (p.status === 'paid') return { id: p.id, status: 'paid', at: p.requestedAt };
  const failure = p.status === 'expired' ? 'expired' : (p.failure ?? 'other');
  return { id: p.id, status: 'failed', at: p.requestedAt, failure };
}
