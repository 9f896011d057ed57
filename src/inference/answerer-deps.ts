// What createAnswerer (answerer.ts) is given: its options (from settings.ts) and its drivers.
// Types only, plus the check that tells a session store given as the cache from a bare cache.
// It must not build anything: defaults are chosen in answerer.ts.
import type { Knowledge } from '../knowledge/types.ts';
import type { InteractionLog } from '../log/types.ts';
import type { Logger } from '../logger.ts';
import type { JobQueue, SlotPool } from '../queue/types.ts';
import type { SessionStore } from '../session/types.ts';
import type { AnswerProgress, PendingAnswer } from '../types.ts';
import type { AnswerCacheStore } from './cache.ts';
import type { ModelHosts } from './hosts.ts';
import type { PromptShape } from './prompt.ts';
import type { AnswerModel, Faq } from './types.ts';
import type { QuestionJob, QuestionResult } from './worker.ts';

export interface AnswererOptions {
  /** OLLAMA_MAX_CONCURRENT: generations at once per model host, all replicas together. */
  maxConcurrent: number;
  /** ANSWER_MAX_WAIT_MINUTES in ms: a question is turned away ("busy") past this much backlog. */
  maxWaitMs?: number;
  /** OLLAMA_NUM_PREDICT: cap on generated tokens. */
  numPredict: number;
  /** ANSWER_CACHE_TTL_SECONDS; 0 turns the cache off. */
  cacheTtlSeconds: number;
  /**
   * API_CACHE_ANSWERS: whether an /api/query answer (without context) may enter the cache that
   * USSD users are served from. Off by default: an API caller is not a USSD user (issue 15).
   */
  cacheApiAnswers?: boolean;
  /** ANSWER_TIMEOUT_MS: one generation's limit, from its start on a model slot. */
  answerTimeoutMs: number;
  /** Longest silence between tokens once an answer has started (default 20 s). */
  stallTimeoutMs?: number;
  /** At most one progress update per this many ms while the answer grows (default 250). */
  progressIntervalMs?: number;
  /** The time of an answer assumed until one is measured (default 50 ms per num_predict token). */
  priorAnswerMs?: number;
  /** The answer may have to go by SMS: SMS is on (AT credentials set). */
  smsOn?: boolean;
  /** Where the passages go in the prompt (default notes-last; the other is for `npm run eval`). */
  promptShape?: PromptShape;
}

/** What the answerer keeps per question and phone: the session store in the app. */
export type AnswerStore = Pick<
  SessionStore,
  'putAnswer' | 'claimPending' | 'updatePending' | 'getPending' | 'dropPending'
>;

export interface AnswererDeps {
  /** One model host; or `hosts` for several (OLLAMA_HOST with commas). */
  model?: AnswerModel;
  hosts?: ModelHosts;
  cache: AnswerCacheStore;
  /** Default: `cache` when it is a session store, else an in-process one (a test without sessions). */
  answers?: AnswerStore;
  /** Default: the in-process queue. */
  queue?: JobQueue<QuestionJob, QuestionResult>;
  /** Default: in-process slots (used only to build `hosts` from `model`). */
  slots?: SlotPool;
  /**
   * The answer of a queued question is done; `pending` is the phone's pending answer after the
   * answer was put in it (delivery.ts: the SMS, if it must go).
   */
  onAnswered?: (job: QuestionJob, progress: AnswerProgress, pending: PendingAnswer | null) => Promise<void>;
  /** Work the queue in this process (default true). */
  work?: boolean;
  log: InteractionLog;
  faq: Faq;
  /** The knowledge base (KNOWLEDGE_DIR); without it, prompts carry no passages. */
  knowledge?: Knowledge;
  logger: Logger;
  clock?: () => number;
  /** The log's id for an API user_id (give it phone.ts hashPhone with PHONE_HASH_SECRET). */
  hashUserId?: (userId: string) => string;
  options: AnswererOptions;
}

export function isAnswerStore(store: AnswerCacheStore): store is AnswerCacheStore & AnswerStore {
  const s = store as Partial<AnswerStore>;
  return typeof s.putAnswer === 'function' && typeof s.claimPending === 'function';
}
