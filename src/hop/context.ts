// What the parts of a hop share (handler.ts, the full way; one-trip.ts, the one-round-trip
// way): the settings, the outcome, the step context built from what the hop read, and the polite
// END past a rate limit. Pure.
import { t } from '../engine/render.ts';
import { ANSWER_SCREEN } from '../engine/step.ts';
import type { EngineState, Journey, StepContext, StoredSession } from '../engine/types.ts';
import type { CountryCode } from '../phone.ts';
import { offered } from '../session/pending.ts';
import type { AnswerProgress, PendingAnswer, PhoneProfile, Reply } from '../types.ts';

export interface HopSettings {
  hopDeadlineMs: number;
  phoneHashSecret: string;
  /** Where a number without a country code is from (DEFAULT_COUNTRY). */
  defaultCountry: CountryCode;
  storePhoneNumbers: boolean;
  dailyQuota: number;
  price: string;
  days: number;
  tzOffsetMinutes: number;
  hopRatePerMinute: number;
  questionRatePerMinute: number;
  /** PAYMENTS_MODE: what accepting the offer does. */
  payments: 'intent' | 'mpesa';
  /** SMS is on (AT credentials): answers may go by SMS, a paged answer offers "Send all by SMS". */
  smsOn?: boolean;
}

export interface HopOutcome {
  reply: Reply;
  screen: string;
  lang: string;
  /** The reply is "still thinking": the answer is being written (a tool may fetch it, issue 16). */
  pending?: boolean;
}

/** Whether a session's state shows "still thinking" for an answer being written. */
export function answerPending(state: EngineState): boolean {
  return state.screen === ANSWER_SCREEN && state.view === 'wait';
}

/** What a hop read of the phone and the session, as the engine sees it. */
export interface HopFacts {
  profile: PhoneProfile;
  questionsToday: number;
  answer: AnswerProgress | null;
  /** The phone's pending answer (issue 13): what the hop read, if it read it. */
  pending?: PendingAnswer | null;
}

/** `hopId` becomes the id of a question asked on this hop ('' where no question can be asked). */
export function stepContext(settings: HopSettings, facts: HopFacts, now: number, hopId: string): StepContext {
  return {
    now,
    hopId,
    profile: facts.profile,
    questionsToday: facts.questionsToday,
    dailyQuota: settings.dailyQuota,
    price: settings.price,
    days: settings.days,
    payments: settings.payments,
    tzOffsetMinutes: settings.tzOffsetMinutes,
    // An earlier session's answer being read becomes this session's (engine/view.ts answerOf
    // shows an answer only for the question in view).
    answer: facts.answer ?? offered(facts.pending ?? null)?.answer ?? facts.pending?.answer ?? null,
    pending: facts.pending ?? null,
    smsOn: settings.smsOn === true,
  };
}

/** The END for a phone number we cannot read (not E.164, nor national in DEFAULT_COUNTRY). */
export function refusedOutcome(journey: Journey): HopOutcome {
  const lang = journey.defaultLanguage;
  return { reply: { kind: 'END', text: t(journey.texts.badNumber, lang) }, screen: '@refused', lang };
}

/** The END for a phone past its hop or question rate, in the session's language. */
export function limitedOutcome(journey: Journey, stored: StoredSession | null): HopOutcome {
  const lang = stored?.engine.lang ?? journey.defaultLanguage;
  return { reply: { kind: 'END', text: t(journey.texts.limited, lang) }, screen: '@limited', lang };
}

/**
 * The END for a hop whose record (a language, a subscription) could not be written in time: the
 * journey's "please dial again", in the language the session had, never a "saved".
 */
export function unsavedOutcome(journey: Journey, stored: StoredSession | null, lang: string): HopOutcome {
  const shown = stored?.engine.lang ?? lang;
  return { reply: { kind: 'END', text: t(journey.texts.error, shown) }, screen: '@unsaved', lang: shown };
}

/** The session's start to store: the first hop's arrival, or what the session has kept. */
export function sessionStart(stored: StoredSession | null, arrivedAt: number): { startedAt?: number } {
  const startedAt = stored ? stored.startedAt : arrivedAt;
  return startedAt === undefined ? {} : { startedAt };
}
