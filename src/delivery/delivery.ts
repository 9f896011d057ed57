// Getting each answer to its asker once (issue 13 §3-§5): in the session when it can be, else by
// SMS (when the asker was told so, or hung up before reading it) or at the next dial. The
// decisions, where a queued answer ends (worker.ts), where a hop shows an answer (hop/effects.ts)
// and where AT says a session ended (app.ts), all go through here, over the phone's pending
// answer in the session store, so two replicas deciding at once still decide once. Each delivery
// is logged once (the first wins). It must not send: the outbox does, at most once.
import type { InteractionLog } from '../log/types.ts';
import type { Logger } from '../logger.ts';
import { entries } from '../session/pending.ts';
import type { SessionStore } from '../session/types.ts';
import type { AnswerProgress, Delivery, PendingAnswer } from '../types.ts';

/** What the outbox needs to send one answer's SMS. */
export interface SmsRequest {
  questionId: string;
  phoneHash: string;
  phone: string;
  question: string;
  answer: AnswerProgress;
  lang: string;
  kind: 'answer' | 'all' | 'failure';
}

export interface DeliveryDeps {
  store: Pick<SessionStore, 'readPending' | 'updatePending' | 'getPending'>;
  log: InteractionLog;
  logger: Logger;
  /** Queues one SMS (at most once per question); null while SMS is off. */
  sms: ((request: SmsRequest) => Promise<void>) | null;
  clock?: () => number;
}

export interface Deliveries {
  readonly smsOn: boolean;
  /**
   * An answer reached its asker: logged once. `askedAt` for answers with no pending record (FAQ,
   * cache); a queued one's wait is counted from its question.
   */
  delivered(phoneKey: string, questionId: string, how: Delivery, askedAt?: number): Promise<void>;
  /** A queued question's answer is done (`pending` as it is now): sent by SMS if it must be. */
  answered(pending: PendingAnswer | null, phoneKey: string, phone: string | undefined): Promise<void>;
  /** AT says the session ended: an unread answer of it goes by SMS, now or when it is done. */
  sessionEnded(sessionId: string, phoneKey: string, phone: string): Promise<void>;
  /** "Send all by SMS" on a paged answer's last page. */
  sendAll(request: Omit<SmsRequest, 'kind'>): Promise<void>;
}

export function createDeliveries(deps: DeliveryDeps): Deliveries {
  const { store, log, logger } = deps;
  const clock = deps.clock ?? Date.now;

  async function toSms(p: PendingAnswer, phoneKey: string, phone: string): Promise<void> {
    if (!deps.sms || !p.answer) return;
    const failed = p.answer.failure !== undefined && p.answer.text.trim() === '';
    await deps.sms({
      questionId: p.id,
      phoneHash: phoneKey,
      phone,
      question: p.question,
      answer: p.answer,
      lang: p.lang,
      kind: failed ? 'failure' : 'answer',
    });
  }

  return {
    smsOn: deps.sms !== null,

    async delivered(phoneKey, questionId, how, askedAt) {
      const now = clock();
      let at = askedAt;
      if (at === undefined) {
        // Marked read once, whoever comes first: a reply, the next dial, the SMS.
        const before = await store.readPending(phoneKey, questionId, how);
        if (!before) return;
        at = before.at;
      }
      log.recordDelivery({ questionId, at: now, phoneHash: phoneKey, how, waitMs: Math.max(0, now - at) });
    },

    async answered(pending, phoneKey, phone) {
      if (!pending || pending.read !== undefined || !phone) return;
      if (pending.sms || pending.hungUp) await toSms(pending, phoneKey, phone);
    },

    async sessionEnded(sessionId, phoneKey, phone) {
      if (!deps.sms || !phone) return;
      // The session's questions: the phone's first pending one, the one waiting behind it, or both.
      const record = await store.getPending(phoneKey);
      for (const pending of entries(record).filter((e) => e.sessionId === sessionId)) {
        if (pending.read !== undefined) continue;
        if (pending.answer) {
          await toSms(pending, phoneKey, phone);
          continue;
        }
        // Still being written: its worker sends it when it is done. The update returns the
        // question as it is after, so an answer that landed in between is sent here (twice is
        // prevented by the outbox's claim).
        const after = await store.updatePending(phoneKey, pending.id, { hungUp: true });
        if (after?.answer && after.read === undefined) await toSms(after, phoneKey, phone);
        logger.info({ sessionId }, '[delivery] session ended before its answer: it goes by SMS');
      }
    },

    async sendAll(request) {
      if (!deps.sms) return;
      await deps.sms({ ...request, kind: 'all' });
    },
  };
}
