// The payments sweep (issue 14): every few seconds, the open payments whose check is due, each
// taken under its claim (records store) so replicas on one file and a restarted process never
// work on one twice. A payment still `requested` well after its hop (the process stopped before
// the push) is pushed now; a push with no callback after MPESA_QUERY_AFTER_SECONDS is asked about
// with Daraja's status query, again with a growing pause while Daraja says "being processed",
// and called expired once nothing came for expireAfterMs. So no payment is left unknown. A cached
// profile that could not be told of an outcome (Redis away) is told again each pass.
import type { Logger } from '../logger.ts';
import type { PaymentRecord, PaymentRecords, SettleVerdict } from '../records/payments.ts';
import { RECORDS_MS, toSettle } from './settle.ts';
import type { MobileMoney } from './types.ts';

export interface SweepDeps {
  money: MobileMoney;
  records: PaymentRecords;
  queryAfterMs: number;
  expireAfterMs?: number;
  push: (payment: PaymentRecord) => Promise<void>;
  settle: (payment: PaymentRecord, verdict: SettleVerdict, source: 'query') => Promise<boolean>;
  /** Tells a phone's cached profile of its settled payment (settle.ts). */
  tell: (id: string, phoneHash: string) => Promise<void>;
  logger: Logger;
  clock: () => number;
}

/** Payments taken per pass: a backlog is worked through a batch at a time. */
const BATCH = 20;
const CLAIM_MS = 30_000;
const MAX_PAUSE_MS = 5 * 60_000;

export function createSweep(deps: SweepDeps) {
  const { money, records, logger, clock } = deps;
  const within = () => ({ deadline: clock() + RECORDS_MS });
  const expireAfterMs = deps.expireAfterMs ?? 15 * 60_000;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;

  async function pass(): Promise<void> {
    // Outcomes a cached profile missed (Redis away when they came): told now.
    for (const { id, phoneHash } of await records.profilesToTell(BATCH, within()))
      await deps.tell(id, phoneHash);
    const ids = await records.duePayments(clock(), BATCH, within());
    for (const id of ids) {
      const payment = await records.claimPayment(id, clock(), CLAIM_MS, within());
      if (!payment) continue; // another process has it, or it was settled meanwhile
      try {
        if (payment.status === 'requested') await deps.push(payment);
        else await check(payment);
      } catch (err) {
        logger.warn({ err, paymentId: id }, '[payments] sweep: will try again');
        await records
          .reschedule(id, clock() + pause(payment.queries), payment.queries, within())
          .catch(() => {});
      }
    }
  }

  /** Asks Daraja what became of a push; expires it once nothing came for too long. */
  async function check(payment: PaymentRecord): Promise<void> {
    const since = payment.pushStartedAt ?? payment.requestedAt;
    let outcome: Awaited<ReturnType<MobileMoney['query']>> | null = null;
    try {
      outcome = payment.checkoutRequestId ? await money.query(payment.checkoutRequestId) : null;
    } catch (err) {
      logger.warn({ err, paymentId: payment.id }, '[payments] status query failed');
    }
    if (outcome && outcome.kind !== 'pending') {
      await deps.settle(payment, toSettle(outcome, payment), 'query');
      return;
    }
    if (clock() - since >= expireAfterMs) {
      await deps.settle(payment, { kind: 'expired', resultDesc: 'no verdict from Daraja in time' }, 'query');
      return;
    }
    await records.reschedule(payment.id, clock() + pause(payment.queries + 1), payment.queries + 1, within());
  }

  /** The pause before the next query: MPESA_QUERY_AFTER_SECONDS, doubling, at most 5 minutes. */
  function pause(queries: number): number {
    return Math.min(MAX_PAUSE_MS, deps.queryAfterMs * 2 ** Math.max(0, queries - 1));
  }

  function once(): Promise<void> {
    running ??= pass()
      .catch((err: unknown) => logger.warn({ err }, '[payments] sweep failed; next pass will retry'))
      .finally(() => {
        running = null;
      });
    return running;
  }

  return {
    once,
    start(everyMs: number) {
      timer = setInterval(() => void once(), everyMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = null;
    },
    idle: () => running ?? Promise.resolve(),
  };
}
