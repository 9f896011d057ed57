// The menu engine's data: a journey (menus as data, loaded from menus/*.yaml) and the state of one
// session in it. The engine is a pure state machine over these (step.ts); nothing here does I/O.
import type {
  AnswerFailure,
  AnswerProgress,
  Lang,
  PaymentFailure,
  PaymentNotice,
  PendingAnswer,
  PhoneProfile,
  Reply,
} from '../types.ts';

/** Text in every language of the journey. */
export type Text = Readonly<Record<Lang, string>>;

export interface Option {
  key: string;
  label: Text;
  next: string;
  /** Shown only to phones on this plan: `free` hides the offer from a subscribed phone (issue 14). */
  showTo?: Plan;
}

/** A phone's plan, as a menu option's `showTo` names it; a phone with a payment pending is free. */
export type Plan = 'free' | 'subscribed';
export const PLANS: readonly Plan[] = ['free', 'subscribed'];

export interface LanguageOption {
  key: string;
  label: Text;
  lang: Lang;
}

export interface Validation {
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  /** Inclusive numeric range; the input must then be a number. */
  min?: number;
  max?: number;
}

interface ScreenBase {
  id: string;
  /** The file the screen came from, for error messages. */
  file: string;
  text: Text;
}

/** Numbered options, each leading to a screen; long lists page with the journey's more key. */
export interface MenuScreen extends ScreenBase {
  type: 'menu';
  options: Option[];
  /** Show the journey's back line under the options (default: on every screen but the start). */
  back: boolean;
}

/** Free text, optionally validated; saved under `save` and shown as {input.<save>}. */
export interface InputScreen extends ScreenBase {
  type: 'input';
  save: string;
  validate?: Validation;
  hint?: Text;
  next: string;
}

/** The user's question goes to the model; the answer is shown on the built-in answer screens. */
export interface AskScreen extends ScreenBase {
  type: 'ask';
  /** Where a user with no questions left today goes (a subscription offer). */
  whenQuotaUsed: string;
  /** Where the user goes after rating an answer. */
  afterRating: string;
  /** Show the journey's back line under the prompt (default: on every screen but the start). */
  back: boolean;
}

/** Static text; closes the session. */
export interface EndScreen extends ScreenBase {
  type: 'end';
}

/** A language choice, remembered per phone across sessions. */
export interface LanguageScreen extends ScreenBase {
  type: 'language';
  options: LanguageOption[];
  next: string;
  back: boolean;
}

/**
 * The paid tier's offer: 1 accept, 2 decline. With PAYMENTS_MODE=intent accepting unlocks the
 * quota at once (`accepted`); with mpesa it asks for the M-Pesa payment (`paying`: "check your
 * phone"), and the subscription starts when the money is confirmed (issue 14).
 */
export interface OfferScreen extends ScreenBase {
  type: 'offer';
  accept: Text;
  decline: Text;
  accepted: string;
  declined: string;
  back: boolean;
  /** Shown instead of the offer to a phone already subscribed: it is never offered again. */
  whenSubscribed: string;
  /** Shown after accepting when the payment goes by M-Pesa (required with PAYMENTS_MODE=mpesa). */
  paying?: string;
  /**
   * Shown instead of the offer while the phone's payment is awaited (pushed, no verdict, within
   * PENDING_HOLD_MS): accepting would ask for nothing, so the offer is not made (mpesa: required).
   */
  whenPending?: string;
}

export type Screen = MenuScreen | InputScreen | AskScreen | EndScreen | LanguageScreen | OfferScreen;

export interface NavigationKeys {
  back: string | null;
  home: string | null;
  more: string;
}

/** Texts the engine itself shows, per language. */
export interface SystemTexts {
  invalid: Text;
  moreLine: Text;
  backLine: Text;
  /** Footer of an answer page that has more after it. */
  answerMore: Text;
  /** Footer of the last answer page: the rating. */
  answerLast: Text;
  thinking: Text;
  unlimited: Text;
  planFree: Text;
  planPaid: Text;
  /** {plan} while the latest payment has no verdict yet (issue 14): "Payment pending". */
  planPending: Text;
  failure: Readonly<Record<AnswerFailure, Text>>;
  answerGone: Text;
  error: Text;
  limited: Text;
  /** The END for a phone number that cannot be read. */
  badNumber: Text;
  /** The hint over the ask screen when the question is empty. */
  emptyQuestion: Text;
  /** The twelve month names for {until}, space-separated ("Jan Feb …"): English when absent. */
  months?: Text;
  /** The answer will not come in this session (issue 13 §3): {minutes}. */
  smsLater: Text;
  dialLater: Text;
  /** The first screen of a dial with an unread answer: {question}, 1 read, 2 main menu. */
  pendingOffer: Text;
  /** "Still thinking" for a question waiting behind the phone's earlier one: {question}, {minutes}. */
  queuedBehind: Text;
  /** The last answer page's footer with "Send all by SMS" (3), while SMS is on. */
  answerLastSms: Text;
  smsRequested: Text;
  /** The SMS of an answer ({question}, {answer}) and of a question that got none ({question}). */
  smsAnswer: Text;
  smsFailed: Text;
}

/** Where the next dial goes after a payment's outcome, and why a payment failed, in words. */
export interface PaymentScreens {
  /** The money was confirmed: shown once, on the next dial. */
  paid: string;
  /** The payment did not go through ({reason}), and how to try again. */
  failed: string;
  reasons: Readonly<Record<PaymentFailure, Text>>;
  /** The receipt SMS after a payment confirmed, with {price}, {until}, {receipt} (SMS configured). */
  receipt?: Text;
}

export interface Journey {
  /** The file of the journey block, for messages about its texts. */
  file: string;
  start: string;
  languages: readonly Lang[];
  defaultLanguage: Lang;
  languageNames: Text;
  keys: NavigationKeys;
  texts: SystemTexts;
  /** Required with PAYMENTS_MODE=mpesa. */
  payments?: PaymentScreens;
  screens: ReadonlyMap<string, Screen>;
}

/** Where a session is. Stored in the session store between hops; JSON-safe. */
export interface EngineState {
  screen: string;
  /** Screens to go back to with the back key, most recent last. */
  trail: string[];
  lang: Lang;
  /** Page of a long menu or of an answer. */
  page: number;
  /** Inputs saved by input screens. */
  inputs: Record<string, string>;
  /** The question in view on the answer screens. */
  question?: { id: string; text: string };
  /** What the answer screen showed last, so the next key means what the user saw. */
  view?: AnswerView;
  /** Funnel events already logged in this session: each is logged once per session (issue 14). */
  funnel?: FunnelEvent[];
}

/** The steps of the paid tier's funnel that the engine sees (the payment's own come from payments/). */
export type FunnelEvent = 'quota-hit' | 'offer' | 'accept' | 'decline';

/** page: a page of the answer; wait: "still thinking"; failed: a failure with a retry; gone: no answer. */
export type AnswerView = 'page' | 'wait' | 'failed' | 'gone';

/** What the session store keeps: the engine's state plus what makes a resent hop idempotent. */
export interface StoredSession {
  engine: EngineState;
  /**
   * Epoch ms of the session's first hop: AT ends a session ~180 s after it began, so this says how
   * long an answer can still come in it (issue 13 §3). Absent in sessions stored before it was kept.
   */
  startedAt?: number;
  /** AT's cumulative `text` of the last hop handled: the next hop's new input is what follows it. */
  text: string;
  reply: Reply;
  screen: string;
}

/** Facts about the world a step may depend on, read by the handler (the engine reads no clock). */
export interface StepContext {
  now: number;
  /** A fresh id for this hop: becomes the id of a question asked on it. */
  hopId: string;
  profile: PhoneProfile;
  questionsToday: number;
  dailyQuota: number;
  price: string;
  days: number;
  /** intent: accepting the offer subscribes at once; mpesa: it asks for the payment. */
  payments: 'intent' | 'mpesa';
  /** Local time, for the dates shown ({until}). */
  tzOffsetMinutes: number;
  /** The session's answer as far as it has got (from the session store). */
  answer: AnswerProgress | null;
  /** The phone's answer from an earlier session, done and not read yet: offered first (issue 13). */
  pending?: PendingAnswer | null;
  /** SMS is on: a paged answer's last page offers "Send all by SMS". */
  smsOn?: boolean;
}

/** Side effects a step asks the handler to perform; the engine performs none. */
export type Effect =
  | { type: 'ask'; question: string; questionId: string }
  | { type: 'set-language'; lang: Lang }
  | { type: 'feedback'; questionId: string; helpful: boolean }
  | { type: 'tier'; event: FunnelEvent; via?: OfferVia }
  | { type: 'subscribe'; until: number }
  /** Ask for the M-Pesa payment: a durable record before the reply, the push after it. */
  | { type: 'pay'; offer: string }
  /** The outcome of this payment was shown: the next dial shows the start screen again. */
  | { type: 'payment-seen'; paymentId: string }
  /** An answer page was shown after "still thinking": the answer reached its asker. */
  | { type: 'delivered'; questionId: string }
  /** The unread answer of an earlier session is being read: it becomes this session's answer. */
  | { type: 'read-pending'; questionId: string }
  /** "Send all by SMS" on the answer's last page. */
  | { type: 'sms-answer'; questionId: string };

/** Where an offer was shown from: the quota screen (a question with none left) or a menu (My account). */
export type OfferVia = 'quota' | 'menu';

export type { PaymentNotice };

export interface StepResult {
  state: EngineState;
  /** Null while an `ask` effect is pending: the handler asks, then calls showAnswer(). */
  reply: Reply | null;
  effects: Effect[];
}
