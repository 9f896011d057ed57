// The interaction log boundary: everything that happens is recorded, so the operators can tell
// whether users engage, whether answers help and whether they would pay (issue 5).
// record* calls never block and never throw: rows are queued and written off the hop's path.
// What must not be lost or doubled (a subscription, a payment) is not a log row but a record
// (src/records/), written before the user is told.

export interface HopRow {
  at: number; // epoch ms the hop arrived
  sessionId: string;
  phoneHash: string;
  /** Only when STORE_PHONE_NUMBERS is on. */
  phone?: string;
  serviceCode: string;
  networkCode?: string;
  /** The new input this hop carried (null on the first hop). */
  input: string | null;
  /** AT's cumulative text as received. */
  text: string;
  /** Screen id shown by the reply. */
  screen: string;
  lang: string;
  replyKind: 'CON' | 'END';
  reply: string;
  latencyMs: number;
  /**
   * ok, replay (a resent hop answered from the session), limited (rate limit), error (the funnel),
   * late (finished after the deadline: the phone got the fallback screen, not this reply).
   */
  outcome: 'ok' | 'replay' | 'limited' | 'refused' | 'error' | 'late';
}

export interface QuestionRow {
  id: string;
  at: number;
  sessionId: string; // '' for /api/query
  phoneHash: string; // for /api/query: the hash of its user_id
  channel: 'ussd' | 'api';
  lang: string;
  model: string;
  question: string;
  /** The full prompt as sent (system prompt and question). */
  prompt: string;
  answer: string;
  tokensIn: number;
  tokensOut: number;
  ttftMs: number | null;
  latencyMs: number;
  /** The hop deadline came before the answer was complete. */
  deadlineCut: boolean;
  cacheHit: boolean;
  source: 'model' | 'cache' | 'faq';
  /** 'ok', 'cut' (a stream past its length) or the AnswerFailure that ended it. */
  outcome: string;
  /**
   * Ids of the knowledge passages in its prompt (issue 18): [] when the base had none for it, null
   * or absent when it was not asked (FAQ, cache, no knowledge base).
   */
  passages?: readonly string[] | null;
  /** How long it waited in the queue for a model slot (queued model questions only). */
  queueMs?: number;
}

/** AT's end-of-session notification, raw fields kept (shared/research/at-protocol.md §4). */
export interface SessionEndRow {
  at: number;
  sessionId: string;
  phoneHash: string;
  phone?: string;
  serviceCode: string;
  networkCode: string;
  date: string;
  status: string;
  /** The cost as sent ("KES 0.10" or "0.1"), and parsed when it can be. */
  costRaw: string;
  costAmount: number | null;
  costCurrency: string | null;
  durationMs: number | null;
  hopsCount: number | null;
  input: string;
  lastAppResponse: string;
  errorMessage: string;
  /** Every field as received, JSON. */
  raw: string;
}

export interface FeedbackRow {
  at: number;
  sessionId: string;
  phoneHash: string;
  questionId: string;
  helpful: boolean;
}

/**
 * The paid tier's funnel (issue 14), each step once per session: the offer shown (`via` the quota
 * screen or a menu), accepted or declined, and with M-Pesa the payment requested, then paid
 * (amount, receipt), failed (why) or expired. `mode` labels intent apart from money.
 */
export interface TierRow {
  at: number;
  sessionId: string;
  phoneHash: string;
  event: 'quota-hit' | 'offer' | 'accept' | 'decline' | 'requested' | 'paid' | 'failed' | 'expired';
  price: string;
  days: number;
  mode?: 'intent' | 'mpesa';
  via?: 'quota' | 'menu';
  /** Our payment's id (requested, paid, failed, expired). */
  paymentId?: string;
  /** Whole shillings confirmed (paid). */
  amount?: number;
  receipt?: string;
  /** Why it failed, and Daraja's own words. */
  reason?: string;
}

/** How a question's answer reached its asker, once (issue 13 §5): the first delivery wins. */
export interface DeliveryRow {
  questionId: string;
  at: number;
  phoneHash: string;
  how: 'in-session' | 'next-dial' | 'sms';
  /** From the question to its delivery. */
  waitMs: number;
}

/** One SMS of an answer (issue 13 §4), as the outbox ended it. */
export interface SmsRow {
  at: number;
  questionId: string;
  phoneHash: string;
  /** Only when STORE_PHONE_NUMBERS is on. */
  phone?: string;
  /** answer: it missed its session; all: "Send all by SMS"; failure: the question got no answer. */
  kind: 'answer' | 'all' | 'failure';
  /** sent (AT took it), failed (never: e.g. an invalid number), unknown (may have gone; not retried). */
  status: 'sent' | 'failed' | 'unknown';
  /** AT's recipient statusCode and status ("101", "Success"), or the HTTP status of a refusal. */
  statusCode: number | null;
  atStatus: string | null;
  messageId: string | null;
  parts: number | null;
  /** AT's cost as sent ("KES 0.8000"). */
  costRaw: string | null;
  attempts: number;
  error: string | null;
}

/** AT's delivery report for a message (POST /sms/delivery), stored against the message. */
export interface SmsReportRow {
  at: number;
  messageId: string;
  status: string;
  failureReason: string;
  networkCode: string;
}

export interface LogStatus {
  ok: boolean;
  /** Rows waiting to be written. */
  queued: number;
  /** Their size in memory, estimated (the queue is capped in bytes: LOG_QUEUE_MAX_MB). */
  queuedBytes?: number;
  /** Failed write attempts since start. */
  failures: number;
  written: number;
  lastError?: string;
  /**
   * Rows dropped: shed because the queue was full (the least valuable first, never a question)
   * or recorded after close.
   */
  dropped?: number;
  /** Rows the database refused as data (a constraint or type error); skipped so they cannot block the queue. */
  rejected?: number;
}

export interface InteractionLog {
  recordHop(row: HopRow): void;
  recordQuestion(row: QuestionRow): void;
  recordSessionEnd(row: SessionEndRow): void;
  recordFeedback(row: FeedbackRow): void;
  recordTier(row: TierRow): void;
  recordDelivery(row: DeliveryRow): void;
  recordSms(row: SmsRow): void;
  recordSmsReport(row: SmsReportRow): void;
  status(): LogStatus;
  /** Writes what is queued now; resolves even when the write fails (rows stay queued). */
  flush(): Promise<void>;
  /** Flushes and closes the database. */
  close(): Promise<void>;
}
