// Domain types shared by the boundaries (engine, session, inference, log). Data only.

/** Languages every screen is written in. The journey file may list more. */
export type Lang = string;

/** A reply to one hop: CON keeps the session open, END closes it. `text` has no prefix. */
export interface Reply {
  kind: 'CON' | 'END';
  text: string;
}

/** Why an answer could not be given. Each has its own screen text in the journey. */
export type AnswerFailure =
  | 'down' // Ollama unreachable
  | 'model-missing' // 404: the configured model is not pulled
  | 'busy' // our queue (or Ollama's) is full
  | 'error' // 5xx, a broken stream, garbage
  | 'empty' // the model said nothing usable
  | 'timeout' // nothing arrived before the answer's own time limit
  | 'waiting'; // two questions of the phone wait already (one answered at a time, one behind it)

/**
 * An answer as far as it has got. Written to the session store as it grows, so the next hop can be
 * served by any replica. `text` is already cleaned GSM-7 (screen/fit cleanAnswer).
 */
export interface AnswerProgress {
  id: string;
  text: string;
  done: boolean;
  failure?: AnswerFailure;
  source: 'model' | 'cache' | 'faq';
  /** Epoch ms the answer is expected, while it waits for the model (issue 13 §3). */
  etaAt?: number;
  /** It will not come inside this session: it comes by SMS, or at the next dial. */
  later?: 'sms' | 'dial';
  /** With failure 'waiting': the question that is waiting (cut to fit a screen). */
  waitingFor?: string;
  /** Waiting behind the phone's earlier question (this one, cut to fit a screen) until it is answered. */
  after?: string;
}

/** Why a payment did not go through (payments/types.ts explains each). */
export type PaymentFailure = 'cancelled' | 'no-answer' | 'wrong-pin' | 'insufficient' | 'other' | 'expired';

/** The phone's latest payment, as a hop sees it: enough to tell the user what became of it. */
export interface PaymentNotice {
  id: string;
  status: 'pending' | 'paid' | 'failed';
  failure?: PaymentFailure;
  /** Epoch ms the payment was asked for. */
  at: number;
}

/** What we keep per phone across sessions (keyed by the phone's keyed hash, never the number). */
export interface PhoneProfile {
  lang?: Lang;
  /** Epoch ms until which the paid tier lifts the daily quota. */
  subscribedUntil?: number;
  /** The latest payment (PAYMENTS_MODE=mpesa). */
  payment?: PaymentNotice;
  /** The id of the payment whose outcome the phone was last shown. */
  paymentSeen?: string;
}

/** How an answer reached its asker (issue 13 §5). */
export type Delivery = 'in-session' | 'next-dial' | 'sms';

/**
 * A phone's question waiting for its answer, or its answer waiting to be read (issue 13 §3): one
 * per phone, kept across sessions and gateway restarts, so the next dial offers it first.
 */
export interface PendingAnswer {
  /** The question's id (also its answer's and its job's). */
  id: string;
  sessionId: string;
  /** The question as asked (at most 160 characters). */
  question: string;
  lang: Lang;
  /** Epoch ms it was asked, and when its answer is expected. */
  at: number;
  etaAt: number;
  /** The asker was told the answer comes by SMS. */
  sms?: boolean;
  /** The session ended before the answer was read (AT's end-of-session notification). */
  hungUp?: boolean;
  /** The answer, once it is done (or failed). */
  answer?: AnswerProgress;
  /** How it reached the asker, once it did. */
  read?: Delivery;
  /**
   * The phone's second question, asked while this one waited: its job is held until this one is
   * answered (one question per phone at a time, issue 13 §3). Only on the first; never nested.
   */
  next?: PendingAnswer;
}
