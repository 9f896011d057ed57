// The question worker (issue 13 §1): whichever replica has a free model slot takes the next queued
// question, generates its answer, and writes it where every replica sees it: the session's answer
// as it grows (the hop on another replica, "1. Get answer"), progress through the queue (the hop
// still waiting), and at the end the phone's pending answer (the next dial, the SMS). It logs the
// question once and caches a good answer. A job cut by a crash runs again here or elsewhere; one
// whose answer was already done is not generated twice. It must not know screens or HTTP.
import type { InteractionLog } from '../log/types.ts';
import type { Logger } from '../logger.ts';
import type { JobContext, JobHandler } from '../queue/types.ts';
import { entryOf } from '../session/pending.ts';
import type { SessionStore } from '../session/types.ts';
import type { AnswerProgress, Lang } from '../types.ts';
import type { AnswerCache } from './cache.ts';
import { type GenerationOutcome, runGeneration } from './generation.ts';
import type { ModelHosts } from './hosts.ts';
import { renderPrompt } from './prompt.ts';
import type { ChatMessage } from './types.ts';

/** A question in the queue: what the worker needs, wherever it runs. */
export interface QuestionJob {
  questionId: string;
  sessionId: string;
  phoneHash: string;
  /** The phone number, only while SMS is on (the answer may have to go by SMS). */
  phone?: string;
  question: string;
  lang: Lang;
  askedAt: number;
  /** The asking hop's deadline: an answer done after it was cut by the deadline. */
  deadline: number;
  pageSeptets: number;
}

export interface QuestionResult {
  /** The generation's time, for the answer clock of every replica. */
  ms: number;
  outcome: string;
}

/** What goes through the queue's progress: the answer so far; `first` when the hop may show it. */
export interface QuestionProgress {
  p: AnswerProgress;
  first?: boolean;
}

export interface WorkerDeps {
  hosts: ModelHosts;
  answers: Pick<SessionStore, 'putAnswer' | 'getPending'>;
  cache: AnswerCache;
  /** The question's messages with the knowledge base's passages (answerer.ts promptFor). */
  promptFor(question: string, lang: Lang): { messages: ChatMessage[]; passages: string[] | null };
  /** The cache's language key (per version of the knowledge base). */
  cacheLang(lang: Lang): string;
  log: InteractionLog;
  logger: Logger;
  /** The answer is done: the pending answer and the SMS (delivery.ts). */
  onAnswered(job: QuestionJob, progress: AnswerProgress): Promise<void>;
  options: {
    numPredict: number;
    answerTimeoutMs: number;
    stallTimeoutMs: number;
    progressIntervalMs: number;
  };
  clock: () => number;
}

/** Tries of other hosts when one is found down before it answered. */
const HOST_TRIES = 3;

export function createQuestionWorker(deps: WorkerDeps): JobHandler<QuestionJob, QuestionResult> {
  const { hosts, answers, cache, log, logger, options, clock } = deps;
  let warnedMissing = false;

  return async function work(job: JobContext<QuestionJob>): Promise<QuestionResult> {
    const q = job.data;
    if (job.attempt > 0) {
      // Run again after a crash or a shutdown: an answer already done is only handed on.
      const pending = entryOf(await answers.getPending(q.phoneHash).catch(() => null), q.questionId);
      if (pending?.answer?.done) {
        const done = pending.answer;
        await whileRedisAway(() => deps.onAnswered(q, done), job.signal);
        return { ms: 0, outcome: 'ok' };
      }
    }
    // Progress is written in order through one chain: the store first, then the news, so a hop
    // told of a page finds it in the store.
    let writes = Promise.resolve();
    const publish = (p: AnswerProgress, first: boolean) => {
      writes = writes
        .then(() => answers.putAnswer(q.sessionId, p))
        .catch((err: unknown) => logger.warn({ err, questionId: q.questionId }, '[queue] answer not stored'))
        .then(() => job.progress({ p, ...(first ? { first } : {}) } satisfies QuestionProgress))
        .catch(() => {});
    };

    // The end is told last: after the question is logged and the pending answer has it, so a hop
    // shown the answer finds both done.
    let final: { p: AnswerProgress; first: boolean } | null = null;
    const tell = (first: boolean) => (p: AnswerProgress) => {
      if (p.done) final = { p, first };
      else publish(p, first);
    };
    const onFirst = tell(true);
    const onProgress = tell(false);

    const { messages, passages } = deps.promptFor(q.question, q.lang);
    const waitStart = clock();
    let outcome: GenerationOutcome | null = null;
    let queueMs = 0;
    for (let tries = 0; tries < HOST_TRIES && outcome === null; tries++) {
      const held = await hosts.acquire('ussd', job.signal);
      if (!held) throw new Error('[queue] stopped while waiting for a model slot');
      queueMs = clock() - waitStart;
      try {
        const o = await runGeneration({
          model: held.model,
          id: q.questionId,
          messages,
          numPredict: options.numPredict,
          answerTimeoutMs: options.answerTimeoutMs,
          stallTimeoutMs: options.stallTimeoutMs,
          progressIntervalMs: options.progressIntervalMs,
          clock,
          pageSeptets: q.pageSeptets,
          signal: job.signal,
          onFirst,
          onProgress,
        });
        const failure = o.progress.failure;
        // Down or without the model before a word came: skip that host, try another.
        if ((failure === 'down' || failure === 'model-missing') && o.progress.text === '') {
          hosts.failed(held.host, failure);
          if (failure === 'model-missing') warnMissing(held.model.host ?? '');
          if (tries + 1 < HOST_TRIES && hosts.otherUsable(held.host)) continue;
        } else if (!failure) {
          hosts.measured(held.host, o.ms);
        }
        outcome = o;
      } finally {
        await held.release();
      }
    }
    if (job.signal.aborted) throw new Error('[queue] stopped during the answer'); // runs again
    const o = outcome as GenerationOutcome;
    const failure = o.progress.failure;
    if (!failure) {
      warnedMissing = false;
      if (!o.overlong) void cache.set(q.question, deps.cacheLang(q.lang), o.progress.text);
    }
    if (o.overlong) logger.warn({ questionId: q.questionId }, '[inference] stream past its length: cut');
    if (o.error && failure !== 'model-missing')
      logger.warn({ err: o.error, questionId: q.questionId, failure }, '[inference] answer failed');
    log.recordQuestion({
      id: q.questionId,
      at: q.askedAt,
      sessionId: q.sessionId,
      phoneHash: q.phoneHash,
      channel: 'ussd',
      lang: q.lang,
      model: hosts.model,
      question: q.question,
      prompt: renderPrompt(messages),
      passages,
      answer: o.progress.text,
      tokensIn: o.tokensIn,
      tokensOut: o.tokensOut,
      ttftMs: o.ttftMs === null ? null : o.ttftMs + queueMs,
      latencyMs: clock() - q.askedAt,
      deadlineCut: clock() > q.deadline,
      cacheHit: false,
      source: 'model',
      outcome: failure ?? (o.overlong ? 'cut' : 'ok'),
      queueMs,
    });
    // The finished answer is handed on even if Redis is away for a while (a Sentinel failover, a
    // restart: issue 19): generated once, it would otherwise be lost to the phone.
    await whileRedisAway(() => deps.onAnswered(q, o.progress), job.signal).catch((err: unknown) => {
      logger.warn({ err, questionId: q.questionId }, '[queue] answer not handed on');
    });
    const end = final as { p: AnswerProgress; first: boolean } | null;
    await writes;
    const last = end?.p ?? o.progress;
    await whileRedisAway(() => answers.putAnswer(q.sessionId, last), job.signal).catch((err: unknown) =>
      logger.warn({ err, questionId: q.questionId }, '[queue] answer not stored'),
    );
    await job
      .progress({ p: last, ...(end?.first ? { first: true } : {}) } satisfies QuestionProgress)
      .catch(() => {});
    return { ms: o.ms, outcome: failure ?? 'ok' };
  };

  function warnMissing(host: string): void {
    if (warnedMissing) return;
    warnedMissing = true;
    logger.error(
      { model: hosts.model, ollama: host },
      `[inference] model '${hosts.model}' is not pulled: run \`ollama pull ${hosts.model}\``,
    );
  }
}

/** How long a done answer's hand-on is retried: a failover or a Redis restart takes seconds. */
const HAND_ON_RETRY_MS = 30_000;

/**
 * Runs `fn` again (100 ms, doubling to 2 s) while it fails, up to HAND_ON_RETRY_MS, then gives its
 * error. Off the hop's path: no hop waits for it. The writes it retries are idempotent (a SET of
 * the answer; a second SMS request is stopped by its claim).
 */
async function whileRedisAway<T>(fn: () => Promise<T>, signal: AbortSignal): Promise<T> {
  const started = Date.now();
  for (let delay = 100; ; delay = Math.min(delay * 2, 2_000)) {
    try {
      return await fn();
    } catch (err) {
      if (signal.aborted || Date.now() - started + delay > HAND_ON_RETRY_MS) throw err;
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
