// The effects of a step, one small function each (house style): the engine asks for them as data
// (engine/types.ts Effect), the full way of a hop (handler.ts) performs them here, in order, and
// stores what they change with the session's commit. An effect may end the hop early: a question
// past the phone's rate (`limited`), or a record that could not be written in time (`unsaved`:
// the user is told to dial again, never that it was saved); the rest are then not performed.
// A language or a subscription is written to the records store (src/records/, the system of
// record) before the hop goes on; the session store only caches it, with the commit.
// Must not store the session or reply to AT: handler.ts does both, once, after every effect.
import { createHash } from 'node:crypto';
import type { Deliveries } from '../delivery/delivery.ts';
import { answerPageSeptets } from '../engine/render.ts';
import { showAnswer } from '../engine/step.ts';
import type { Effect, EngineState, Journey, StepContext, StoredSession } from '../engine/types.ts';
import { render } from '../engine/view.ts';
import { AT_SESSION_MS } from '../inference/estimate.ts';
import type { Answerer } from '../inference/types.ts';
import type { InteractionLog } from '../log/types.ts';
import type { HopLogger } from '../logger.ts';
import type { Payments } from '../payments/types.ts';
import type { Hop } from '../protocol/at.ts';
import type { RecordsStore, Within } from '../records/types.ts';
import { entryOf } from '../session/pending.ts';
import type { HopSnapshot, SessionStore } from '../session/types.ts';
import type { AnswerProgress, PhoneProfile, Reply } from '../types.ts';
import type { HopSettings } from './context.ts';

/** Time kept back from the model (and the records store) for storing the session and replying. */
export const COMMIT_RESERVE_MS = 300;
const DAY_MS = 86_400_000;

export interface EffectDeps {
  journey: Journey;
  store: SessionStore<StoredSession>;
  answerer: Answerer;
  records: RecordsStore;
  log: InteractionLog;
  payments: Payments;
  settings: HopSettings;
  deliveries: Deliveries;
}

/** What one hop's effects see: the hop, what it read, and the step's context. */
export interface EffectScope {
  hop: Hop;
  phoneKey: string;
  /** The phone number in E.164 (+2547…), as the subscriber is known everywhere. */
  e164: string;
  arrivedAt: number;
  deadline: number;
  /** What the hop read, its profile resolved (hop/profile.ts). */
  snapshot: HopSnapshot<StoredSession>;
  ctx: StepContext;
  logger: HopLogger;
}

/** What the effects change, stored with the session's commit. */
export interface EffectResult {
  state: EngineState;
  reply: Reply | null;
  /** Fields of the phone's profile to set. */
  profile: PhoneProfile;
  /**
   * 1 when a question went to the model and did not fail: it counts towards the daily quota and
   * the minute's rate. FAQ and cache answers do not.
   */
  questionAsked: 0 | 1;
  /** The phone is past its question rate: the hop ends with the polite END, nothing stored. */
  limited: boolean;
  /** Becomes the session's answer with the commit (an earlier session's answer, being read). */
  answer?: AnswerProgress;
  /** A record could not be written in time: the hop ends with "please dial again", nothing stored. */
  unsaved: boolean;
}

type Handler<E extends Effect> = (
  effect: E,
  scope: EffectScope,
  result: EffectResult,
) => void | Promise<void>;
type Handlers = { [K in Effect['type']]: Handler<Extract<Effect, { type: K }>> };

export function createEffects(deps: EffectDeps) {
  const { journey, answerer, records, log, payments, settings, deliveries } = deps;
  /** Records are written by the time the model's share of the hop would end. */
  const within = (scope: EffectScope): Within => ({ deadline: scope.deadline - COMMIT_RESERVE_MS });
  /** Runs a records write; a failure (a stuck disk, a timeout) ends the hop as unsaved. */
  const save = async (scope: EffectScope, result: EffectResult, write: () => Promise<void>) => {
    try {
      await write();
    } catch (err) {
      scope.logger.warn({ err }, 'record not written in time: the user is asked to dial again');
      result.unsaved = true;
    }
  };
  /** A delivery is news for the log: it must never fail the hop. */
  const delivered = (scope: EffectScope, questionId: string, how: 'in-session' | 'next-dial', at?: number) =>
    deliveries
      .delivered(scope.phoneKey, questionId, how, at)
      .catch((err: unknown) => scope.logger.warn({ err }, 'could not record the delivery'));

  const handlers: Handlers = {
    'set-language': (effect, scope, result) =>
      save(scope, result, async () => {
        await records.setLanguage(scope.phoneKey, effect.lang, scope.arrivedAt, within(scope));
        result.profile.lang = effect.lang;
      }),

    // Intent mode (issue 14): accepting the offer starts the subscription at once, no money moved.
    subscribe: (effect, scope, result) =>
      save(scope, result, async () => {
        const { hop, phoneKey, arrivedAt, snapshot } = scope;
        const { subscription } = await records.addSubscription(
          {
            // The same hop run again (its first run's write timed out, the session was not
            // stored, AT resent it) is the same subscription.
            id: `intent:${hop.sessionId}:${createHash('sha256').update(hop.text).digest('base64url').slice(0, 16)}`,
            phoneHash: phoneKey,
            startsAt: effect.until - settings.days * DAY_MS,
            endsAt: effect.until,
            source: 'intent',
            sessionId: hop.sessionId,
            reference: null,
            createdAt: arrivedAt,
          },
          within(scope),
        );
        result.profile.subscribedUntil = Math.max(subscription.endsAt, snapshot.profile.subscribedUntil ?? 0);
      }),

    tier: (effect, { hop, phoneKey, arrivedAt }) => {
      log.recordTier({
        at: arrivedAt,
        sessionId: hop.sessionId,
        phoneHash: phoneKey,
        event: effect.event,
        price: settings.price,
        days: settings.days,
        mode: settings.payments,
        ...(effect.via ? { via: effect.via } : {}),
      });
    },

    // Issue 14: the payment is recorded durably before the phone is told to expect the prompt;
    // when it cannot be, the phone is asked to dial again, and nothing is pushed. The same hop run
    // again (AT resent it after a timeout) is the same payment: one record, one push.
    pay: (effect, scope, result) =>
      save(scope, result, async () => {
        const { hop, phoneKey, e164, arrivedAt } = scope;
        // The system of record, not the cache, says whether the phone is to pay: a cached profile
        // that missed a confirmation (a Redis failover lost the forget) must not sell it twice.
        const { subscribedUntil } = await records.getPhone(phoneKey, within(scope));
        if (subscribedUntil !== undefined && subscribedUntil > arrivedAt) {
          scope.logger.warn('the cached profile missed a subscription: not asked to pay again');
          result.profile.subscribedUntil = subscribedUntil;
          alreadySubscribed(effect.offer, scope, result, subscribedUntil);
          return;
        }
        result.profile.payment = await payments.request({
          id: `pay:${hop.sessionId}:${createHash('sha256').update(hop.text).digest('base64url').slice(0, 16)}`,
          sessionId: hop.sessionId,
          phoneHash: phoneKey,
          phone: e164,
          at: arrivedAt,
          deadline: within(scope).deadline,
        });
      }),

    // Shown once: a failure to record it only means it may be shown once more.
    'payment-seen': async (effect, scope, result) => {
      try {
        await records.markPaymentSeen(effect.paymentId, within(scope));
        result.profile.paymentSeen = effect.paymentId;
      } catch (err) {
        scope.logger.warn({ err }, 'payment outcome shown, not recorded as seen');
      }
    },

    feedback: (effect, { hop, phoneKey, arrivedAt }) => {
      log.recordFeedback({
        at: arrivedAt,
        sessionId: hop.sessionId,
        phoneHash: phoneKey,
        questionId: effect.questionId,
        helpful: effect.helpful,
      });
    },

    ask: async (effect, scope, result) => {
      const { snapshot, ctx, logger } = scope;
      if (
        settings.questionRatePerMinute > 0 &&
        snapshot.questionsThisMinute >= settings.questionRatePerMinute
      ) {
        logger.warn('question rate limit reached');
        result.limited = true;
        return;
      }
      // The answerer stores the answer as it grows (the worker, on whichever replica runs it).
      const progress = await answerer.ask({
        sessionId: scope.hop.sessionId,
        phoneHash: scope.phoneKey,
        phone: scope.e164,
        questionId: effect.questionId,
        question: effect.question,
        lang: result.state.lang,
        deadline: scope.deadline - COMMIT_RESERVE_MS,
        pageSeptets: answerPageSeptets(journey, result.state.lang, settings.smsOn === true),
        ...sessionEnd(scope),
      });
      // The quota bounds model work: an answer from the FAQ or the cache costs none (issue 16).
      if (progress.failure === undefined && progress.source === 'model') result.questionAsked = 1;
      const shown = showAnswer(journey, result.state, { ...ctx, answer: progress });
      result.reply = shown.reply;
      result.state = shown.state;
      if (shown.state.view === 'page') {
        // FAQ and cache answers have no pending record: their wait is the hop's own.
        const instant = progress.source !== 'model' ? scope.arrivedAt : undefined;
        await delivered(scope, effect.questionId, 'in-session', instant);
      }
    },

    delivered: async (effect, scope) => {
      await delivered(scope, effect.questionId, 'in-session');
    },

    'read-pending': async (effect, scope, result) => {
      const answer = entryOf(scope.snapshot.pending ?? null, effect.questionId)?.answer;
      if (answer?.id === effect.questionId) result.answer = answer;
      await delivered(scope, effect.questionId, 'next-dial');
    },

    'sms-answer': async (effect, scope) => {
      const answer = scope.ctx.answer;
      const question = questionInView(scope);
      if (!answer || answer.id !== effect.questionId) return;
      await deliveries
        .sendAll({
          questionId: effect.questionId,
          phoneHash: scope.phoneKey,
          phone: scope.e164,
          question,
          answer,
          lang: scope.snapshot.state?.engine.lang ?? journey.defaultLanguage,
        })
        .catch((err: unknown) => scope.logger.warn({ err }, 'could not queue the SMS'));
    },
  };

  /** The offer's "you are subscribed" screen instead of "check your phone". */
  function alreadySubscribed(offer: string, scope: EffectScope, result: EffectResult, until: number) {
    const screen = journey.screens.get(offer);
    if (screen?.type !== 'offer') return;
    const profile = { ...scope.ctx.profile, subscribedUntil: until };
    result.state = { ...result.state, screen: screen.whenSubscribed, page: 0 };
    result.reply = render(journey, result.state, { ...scope.ctx, profile }, null);
  }

  /** When AT ends the hop's session, if its start is known (the first hop's, or stored). */
  function sessionEnd(scope: EffectScope): { sessionEndsAt?: number } {
    const startedAt = scope.snapshot.state ? scope.snapshot.state.startedAt : scope.arrivedAt;
    return startedAt === undefined ? {} : { sessionEndsAt: startedAt + AT_SESSION_MS };
  }

  /** The question in view when the hop began. */
  function questionInView(scope: EffectScope): string {
    return scope.snapshot.state?.engine.question?.text ?? '';
  }

  return {
    /** Performs `effects` in order over `result`; stops at the first that ends the hop. */
    async perform(effects: readonly Effect[], scope: EffectScope, result: EffectResult): Promise<void> {
      for (const effect of effects) {
        await (handlers[effect.type] as Handler<Effect>)(effect, scope, result);
        if (result.limited || result.unsaved) return;
      }
    },
  };
}
