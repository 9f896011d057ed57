// The SMS outbox (issue 13 §4): each answer's SMS is a job in its own queue (one id per question,
// so it is queued once), sent at most once whatever retries, restarts or replicas do. Before each
// try a durable claim is taken; a try that surely did not go (refused connection, 5xx, AT's
// retryable statuses) gives the claim back and is retried with backoff; one that may have gone
// keeps it, so a worker that dies mid-send is never followed by a second send. Permanent failures
// are recorded and not retried. It must not decide who gets an SMS: delivery.ts does.
import type { InteractionLog } from '../log/types.ts';
import type { Logger } from '../logger.ts';
import type { ClaimStore, JobContext, JobQueue } from '../queue/types.ts';
import type { SmsResult, SmsSender } from '../sms/types.ts';
import type { Deliveries, SmsRequest } from './delivery.ts';

/** Tries of one SMS in all, and the wait before the second (doubling after): ~1 minute in all. */
export const SMS_ATTEMPTS = 6;
const SMS_BACKOFF_MS = 2_000;
/** A question's SMS claim is kept this long: no second SMS for it within a week. */
const CLAIM_TTL_SECONDS = 7 * 86_400;

export interface OutboxDeps {
  sender: SmsSender;
  queue: JobQueue<SmsRequest, { outcome: string }>;
  claims: ClaimStore;
  log: InteractionLog;
  logger: Logger;
  /** The message for a request: the journey's SMS texts, fitted to SMS_MAX_PARTS (sms/text.ts). */
  compose(request: SmsRequest): string;
  /** Marks the answer delivered by SMS (set once the deliveries exist). */
  deliveries?: () => Deliveries;
  storePhoneNumbers: boolean;
  clock?: () => number;
  /** Backoff before the first retry (tests shorten it). */
  backoffMs?: number;
}

export function createSmsOutbox(deps: OutboxDeps) {
  const { sender, queue, claims, log, logger } = deps;
  const clock = deps.clock ?? Date.now;
  const owner = `${process.pid}.${Math.random().toString(36).slice(2, 8)}`;

  function record(job: JobContext<SmsRequest>, result: SmsResult, status: 'sent' | 'failed' | 'unknown') {
    const r = job.data;
    log.recordSms({
      at: clock(),
      questionId: r.questionId,
      phoneHash: r.phoneHash,
      ...(deps.storePhoneNumbers ? { phone: r.phone } : {}),
      kind: r.kind,
      status,
      statusCode: result.statusCode ?? null,
      atStatus: result.status ?? null,
      messageId: result.messageId ?? null,
      parts: result.parts ?? null,
      costRaw: result.cost ?? null,
      attempts: job.attempt + 1,
      error: result.error ?? null,
    });
  }

  async function work(job: JobContext<SmsRequest>): Promise<{ outcome: string }> {
    const key = `sms:${job.data.questionId}`;
    const mine = `sending:${owner}:${job.id}:${job.attempt}`;
    if (!(await claims.claim(key, mine, CLAIM_TTL_SECONDS))) {
      const held = (await claims.get(key)) ?? '';
      if (held.startsWith('sending:')) {
        // A try that never said how it ended (its worker died): it may have gone. Not again.
        logger.warn({ questionId: job.data.questionId }, '[sms] an earlier try may have sent it: not again');
        record(job, { outcome: 'unknown', error: 'an earlier try did not finish' }, 'unknown');
        await claims.swap(key, held, 'unknown', CLAIM_TTL_SECONDS);
      }
      return { outcome: 'skipped' };
    }
    const result = await sender.send({ to: job.data.phone, text: deps.compose(job.data) }, job.signal);
    if (result.outcome === 'retry') {
      await claims.swap(key, mine, null, CLAIM_TTL_SECONDS);
      if (job.attempt + 1 < SMS_ATTEMPTS) {
        logger.warn({ questionId: job.data.questionId, error: result.error }, '[sms] not sent: will retry');
        throw new Error(`[sms] not sent: ${result.error ?? 'retry'}`);
      }
      record(
        job,
        { ...result, error: `gave up after ${SMS_ATTEMPTS} tries: ${result.error ?? ''}` },
        'failed',
      );
      await claims.claim(key, 'failed', CLAIM_TTL_SECONDS);
      return { outcome: 'failed' };
    }
    const status = result.outcome;
    await claims.swap(key, mine, status, CLAIM_TTL_SECONDS);
    record(job, result, status);
    if (status === 'failed')
      logger.warn({ questionId: job.data.questionId, error: result.error }, '[sms] failed');
    if (status === 'sent') {
      await deps
        .deliveries?.()
        .delivered(job.data.phoneHash, job.data.questionId, 'sms')
        .catch(() => {});
    }
    return { outcome: status };
  }

  return {
    /** Queues the SMS of one question (a second request for the same question is ignored). */
    async request(req: SmsRequest): Promise<void> {
      await queue.add(`sms-${req.questionId}`, req, {
        attempts: SMS_ATTEMPTS,
        backoffMs: deps.backoffMs ?? SMS_BACKOFF_MS,
      });
    },
    /** Starts sending from this process. */
    start(concurrency = 4): void {
      queue.process(work, concurrency);
    },
    close: () => queue.close(),
  };
}
