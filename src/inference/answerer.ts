// The answer pipeline the app uses (issues 4, 13): FAQ first (instant, works with the model down),
// then the answer cache, then the question queue shared by every replica (worker.ts answers it on
// whichever replica has a free model slot). ask() answers the hop by its deadline with the first
// screen when it is ready, else with where the asker stands, estimated from the measured answer
// time (estimate.ts): still thinking while the answer can come in the session, else by SMS or at
// the next dial; "busy" only past maxWaitMs of model backlog. One pending question per phone.
// The JSON API generates on its own share of the slots, never through the queue.
// Knowledge (issue 18): a question the FAQ and the cache do not answer takes the knowledge base's
// passages for it into its prompt (promptFor, here, used by the worker too), logged with it; the
// cache is per version of the base.
// It must not know HTTP, USSD screens or which drivers it was given; it never rejects ask().
import { createHash, randomUUID } from 'node:crypto';
import { InferenceHttpError, InferenceTimeoutError } from '../errors.ts';
import type { Knowledge } from '../knowledge/types.ts';
import type { InteractionLog, QuestionRow } from '../log/types.ts';
import type { Logger } from '../logger.ts';
import { createMemoryQueue } from '../queue/memory.ts';
import { createMemorySlotPool } from '../queue/memory-slots.ts';
import type { JobQueue, SlotPool } from '../queue/types.ts';
import { createMemorySessionStore } from '../session/memory.ts';
import { entries, entryOf } from '../session/pending.ts';
import type { SessionStore } from '../session/types.ts';
import type { AnswerProgress, Lang, PendingAnswer } from '../types.ts';
import { type AnswerCacheStore, createAnswerCache } from './cache.ts';
import { createAnswerClock, etaMs, inSession } from './estimate.ts';
import { runGeneration } from './generation.ts';
import { createModelHosts, type ModelHosts } from './hosts.ts';
import { buildMessages, type PromptShape, renderPrompt } from './prompt.ts';
import type { Answerer, AnswerModel, AskRequest, Faq, QueryRequest, QueryResult } from './types.ts';
import {
  createQuestionWorker,
  type QuestionJob,
  type QuestionProgress,
  type QuestionResult,
} from './worker.ts';

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

/** A cache read slower than this is a miss: the hop deadline matters more than the cache. */
const CACHE_READ_MS = 300;
/** The queue's own calls on the hop's path never take longer than this. */
const QUEUE_CALL_MS = 1000;
const DEFAULT_MAX_WAIT_MS = 30 * 60_000;

export function createAnswerer(deps: AnswererDeps): Answerer {
  const { log, faq, knowledge, logger, options } = deps;
  const clock = deps.clock ?? Date.now;
  const hashUserId =
    deps.hashUserId ?? ((id: string) => createHash('sha256').update(id).digest('hex').slice(0, 32));
  const cache = createAnswerCache(deps.cache, options.cacheTtlSeconds, logger);
  // The session store given as the cache is the answers' store too, unless another is given.
  const answers =
    deps.answers ??
    (isAnswerStore(deps.cache)
      ? deps.cache
      : createMemorySessionStore({ prefix: '', sessionTtlSeconds: 300 }));
  const queue = deps.queue ?? createMemoryQueue<QuestionJob, QuestionResult>('questions');
  const hosts =
    deps.hosts ??
    createModelHosts({
      models: deps.model ? [deps.model] : [],
      slots: deps.slots ?? createMemorySlotPool([options.maxConcurrent]),
      logger,
      slotsPerHost: options.maxConcurrent,
    });
  const maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
  const answerClock = createAnswerClock(options.priorAnswerMs ?? options.numPredict * 50);
  const generationOptions = {
    numPredict: options.numPredict,
    answerTimeoutMs: options.answerTimeoutMs,
    stallTimeoutMs: options.stallTimeoutMs ?? 20_000,
    progressIntervalMs: options.progressIntervalMs ?? 250,
  };
  const apiRuns = new Set<AbortController>();
  /** Asks of this process counted but not yet added to the queue. */
  let adding = 0;

  /** A question's messages with its passages (and their ids for the log; null: base not asked). */
  function promptFor(question: string, lang: Lang, context?: string) {
    let notes: { id: string; heading: string; text: string }[] = [];
    let passages: string[] | null = null;
    if (knowledge) {
      try {
        notes = knowledge.retrieve(question, lang).passages;
        passages = notes.map((n) => n.id);
      } catch (err) {
        logger.warn({ err }, '[inference] knowledge lookup failed; asking without');
      }
    }
    return { messages: buildMessages(question, lang, context, notes, options.promptShape), passages };
  }
  /** Cached answers are keyed by the knowledge base's version too: new passages, new answers. */
  const cacheLang = (lang: Lang) => (knowledge ? `${lang}:${knowledge.version}` : lang);
  let closed = false;

  // Hops waiting on their question's first screen, and who wants its later progress.
  interface Waiter {
    /** The hop has its answer (the first screen, or what stood at its deadline). */
    answered: boolean;
    /** The answer so far, before the first screen filled. */
    latest: AnswerProgress | null;
    first(p: AnswerProgress): void;
    later(p: AnswerProgress): void;
  }
  const waiters = new Map<string, Waiter>();
  queue.onProgress((id, data) => {
    const w = waiters.get(id);
    const { p, first } = (data ?? {}) as Partial<QuestionProgress>;
    if (!w || !p) return;
    if (w.answered) w.later(p);
    else if (first || p.done) {
      w.answered = true;
      w.first(p);
    } else w.latest = p;
    if (p.done) waiters.delete(id);
  });
  queue.onCompleted((_id, result) => {
    if (result?.outcome === 'ok') answerClock.observe(result.ms);
  });
  if (deps.work !== false) {
    queue.process(
      createQuestionWorker({
        hosts,
        promptFor: (question, lang) => promptFor(question, lang),
        cacheLang,
        answers,
        cache,
        log,
        logger,
        onAnswered: async (job, p) => {
          const pending = await answers.updatePending(job.phoneHash, job.questionId, { answer: p });
          // The phone's question waiting behind this one may run now (issue 13 §3). Also on a run
          // again after a crash, so a promote lost with a dead worker is made.
          await promoteNext(job.phoneHash, job.questionId).catch((err: unknown) => {
            logger.warn({ err, questionId: job.questionId }, '[queue] the next question not started');
          });
          await deps.onAnswered?.(job, p, pending);
        },
        options: generationOptions,
        clock,
      }),
      Math.max(1, hosts.usableSlots()),
    );
  }
  void queue.setGlobalConcurrency(Math.max(1, hosts.usableSlots())).catch((err: unknown) => {
    logger.warn({ err }, '[queue] could not set the queue concurrency');
  });

  /** The phone's questions other than `id` still unanswered may run now (a held one is released). */
  async function promoteNext(phoneHash: string, id: string): Promise<void> {
    const record = await answers.getPending(phoneHash);
    for (const e of entries(record)) if (e.id !== id && !e.answer) await queue.promote(e.id);
  }

  function record(
    q: {
      id: string;
      at: number;
      sessionId: string;
      phoneHash: string;
      channel: 'ussd' | 'api';
      lang: Lang;
      question: string;
    },
    fields: Partial<QuestionRow> & Pick<QuestionRow, 'answer' | 'source' | 'outcome'>,
  ): void {
    log.recordQuestion({
      id: q.id,
      at: q.at,
      sessionId: q.sessionId,
      phoneHash: q.phoneHash,
      channel: q.channel,
      lang: q.lang,
      model: hosts.model,
      question: q.question,
      prompt: '',
      tokensIn: 0,
      tokensOut: 0,
      ttftMs: null,
      latencyMs: clock() - q.at,
      deadlineCut: false,
      cacheHit: false,
      passages: null,
      ...fields,
    });
  }

  /** FAQ, then cache: an answer without the model, or null. */
  async function known(
    question: string,
    lang: Lang,
    waitMs: number,
    context?: string,
  ): Promise<{ text: string; source: 'faq' | 'cache' } | null> {
    if (context) return null; // an answer depends on its context: neither FAQ nor cache applies
    const fromFaq = faq.match(question, lang);
    if (fromFaq !== null) return { text: fromFaq, source: 'faq' };
    const wait = Math.max(0, Math.min(CACHE_READ_MS, waitMs));
    const fromCache = await Promise.race([cache.get(question, cacheLang(lang)), sleep(wait, null)]);
    return fromCache ? { text: fromCache, source: 'cache' } : null;
  }

  async function ask(req: AskRequest): Promise<AnswerProgress> {
    const q = {
      id: req.questionId,
      at: clock(),
      sessionId: req.sessionId,
      phoneHash: req.phoneHash,
      channel: 'ussd' as const,
      lang: req.lang,
      question: req.question,
    };
    const done = (p: AnswerProgress): AnswerProgress => {
      void answers.putAnswer(q.sessionId, p).catch(() => {});
      return p;
    };
    const failed = (
      failure: 'busy' | 'down' | 'model-missing' | 'error' | 'waiting',
      extra: Partial<AnswerProgress> = {},
    ) => {
      if (failure !== 'waiting') record(q, { answer: '', source: 'model', outcome: failure });
      return done({ id: q.id, text: '', done: true, source: 'model', failure, ...extra });
    };
    try {
      const hit = await known(q.question, q.lang, req.deadline - q.at);
      if (hit) {
        record(q, { answer: hit.text, source: hit.source, cacheHit: hit.source === 'cache', outcome: 'ok' });
        return done({ id: q.id, text: hit.text, done: true, source: hit.source });
      }
    } catch (err) {
      logger.warn({ err, sessionId: q.sessionId }, '[inference] FAQ/cache lookup failed');
    }
    if (closed) return failed('error');
    const slots = hosts.usableSlots();
    if (slots === 0) return failed(hosts.unusable());

    // The queue's calls never take the hop past its deadline (nor longer than QUEUE_CALL_MS).
    const bounded = <T>(work: Promise<T>) => within(work, Math.min(QUEUE_CALL_MS, req.deadline - clock()));
    let etaAt: number;
    /** The phone's unanswered question this one waits behind, if any. */
    let ahead: PendingAnswer | null = null;
    // Questions of this process between their count and their add are ahead too: a crowd counted
    // at once would otherwise all see the same queue (other replicas' are seen once added).
    const adds = adding;
    adding += 1;
    let counted = true;
    let proceeding = false;
    const uncount = () => {
      if (counted) adding -= 1;
      counted = false;
    };
    try {
      const counts = await bounded(queue.counts());
      etaAt =
        q.at + etaMs({ ahead: counts.waiting + counts.active + adds, slots, answerMs: answerClock.meanMs() });
      if (etaAt - q.at > maxWaitMs) return failed('busy');
      const claim = await bounded(
        answers.claimPending(
          q.phoneHash,
          {
            id: q.id,
            sessionId: q.sessionId,
            question: q.question.slice(0, 160),
            lang: q.lang,
            at: q.at,
            etaAt,
          },
          maxWaitMs + options.answerTimeoutMs,
        ),
      );
      if (claim.status === 'blocked')
        return failed('waiting', { waitingFor: claim.other.question, etaAt: claim.other.etaAt });
      if (claim.status === 'behind') {
        // One question per phone at a time (issue 13 §3): this one runs once the one ahead is
        // answered, one answer's time after that one is expected.
        ahead = claim.ahead;
        etaAt = Math.max(etaAt, ahead.etaAt + answerClock.meanMs());
        await bounded(answers.updatePending(q.phoneHash, q.id, { etaAt }));
      }
      proceeding = true;
    } catch (err) {
      logger.warn({ err, sessionId: q.sessionId }, '[queue] could not queue the question');
      return failed('error');
    } finally {
      // Still counted only on the way to the add below.
      if (!proceeding) uncount();
    }

    const waiter: Waiter = {
      answered: false,
      latest: null,
      first: () => {},
      later: (p) => req.onProgress?.(p),
    };
    const first = new Promise<AnswerProgress>((resolve) => {
      waiter.first = resolve;
    });
    waiters.set(q.id, waiter);
    try {
      const after = ahead ? { after: ahead.question } : {};
      await bounded(
        answers.putAnswer(q.sessionId, { id: q.id, text: '', done: false, source: 'model', etaAt, ...after }),
      );
      const job: QuestionJob = {
        questionId: q.id,
        sessionId: q.sessionId,
        phoneHash: q.phoneHash,
        ...(options.smsOn && req.phone ? { phone: req.phone } : {}),
        question: q.question,
        lang: q.lang,
        askedAt: q.at,
        deadline: req.deadline,
        pageSeptets: req.pageSeptets,
      };
      // Behind another: held until that one's worker promotes it (worker end, promoteNext), or
      // at the latest when the one ahead would count as stale.
      const hold = ahead ? { delayMs: maxWaitMs + options.answerTimeoutMs } : {};
      await bounded(queue.add(q.id, job, { attempts: 3, backoffMs: 500, ...hold }));
      // The one ahead may have been answered between the claim and the add, its worker finding
      // nothing to promote: then it is promoted here (one of the two sees the other's write).
      if (ahead) {
        const first = entryOf(await bounded(answers.getPending(q.phoneHash)), ahead.id);
        if (!first || first.answer) await bounded(queue.promote(q.id));
      }
    } catch (err) {
      waiters.delete(q.id);
      logger.warn({ err, sessionId: q.sessionId }, '[queue] could not queue the question');
      void answers
        .dropPending(q.phoneHash, q.id)
        .then(() => promoteNext(q.phoneHash, q.id))
        .catch(() => {});
      return failed('error');
    } finally {
      uncount();
    }
    // Later progress goes to whoever asked for it until the answer is surely over.
    setTimeout(() => waiters.delete(q.id), etaAt - q.at + options.answerTimeoutMs + 60_000).unref();

    const shown = await Promise.race([first, sleep(Math.max(0, req.deadline - clock()), null)]);
    if (shown) return shown;
    waiter.answered = true; // what comes from now on is news for onProgress
    if (waiter.latest && waiter.latest.text !== '') return { ...waiter.latest, etaAt };
    // Nothing to show by the deadline: where the asker stands.
    if (inSession(etaAt, clock(), req.sessionEndsAt))
      return {
        id: q.id,
        text: '',
        done: false,
        source: 'model',
        etaAt,
        ...(ahead ? { after: ahead.question } : {}),
      };
    if (!options.smsOn) return { id: q.id, text: '', done: false, source: 'model', etaAt, later: 'dial' };
    await answers.updatePending(q.phoneHash, q.id, { sms: true }).catch((err: unknown) => {
      logger.warn({ err, sessionId: q.sessionId }, '[queue] could not mark the answer for SMS');
    });
    return { id: q.id, text: '', done: false, source: 'model', etaAt, later: 'sms' };
  }

  return {
    ask: (req) =>
      ask(req).catch((err: unknown) => {
        logger.error({ err, sessionId: req.sessionId }, '[inference] ask failed');
        return {
          id: req.questionId,
          text: '',
          done: true,
          source: 'model',
          failure: 'error',
        } as AnswerProgress;
      }),

    async query(req: QueryRequest): Promise<QueryResult> {
      const lang = req.lang ?? 'en';
      const q = {
        id: randomUUID(),
        at: clock(),
        sessionId: '',
        phoneHash: hashUserId(req.userId),
        channel: 'api' as const,
        lang,
        question: req.query,
      };
      const hit = await known(req.query, lang, CACHE_READ_MS, req.context);
      if (hit) {
        record(q, { answer: hit.text, source: hit.source, cacheHit: hit.source === 'cache', outcome: 'ok' });
        return { response: hit.text, tokens_used: 0, latency_ms: clock() - q.at };
      }
      if (closed) throw new InferenceHttpError(503, 'gateway closing');
      const ctl = new AbortController();
      apiRuns.add(ctl);
      const timer = setTimeout(
        () => ctl.abort(new DOMException('answer time limit', 'TimeoutError')),
        options.answerTimeoutMs,
      );
      try {
        // The API's own share of the slots (issue 15 item 3): it waits for one, within its time.
        const held = await hosts.acquire('api', ctl.signal);
        if (!held) {
          record(q, { answer: '', source: 'model', outcome: 'busy' });
          throw new InferenceHttpError(503, 'no model slot free for the API, try again');
        }
        const { messages, passages } = promptFor(req.query, lang, req.context);
        const o = await runGeneration({
          model: held.model,
          id: q.id,
          messages,
          ...generationOptions,
          answerTimeoutMs: Math.max(1, q.at + options.answerTimeoutMs - clock()),
          clock,
          pageSeptets: Number.POSITIVE_INFINITY,
          signal: ctl.signal,
          onFirst() {},
          onProgress() {},
        }).finally(() => held.release());
        const failure = o.progress.failure;
        // Only if the operator allows it, and never an answer made with the caller's context: the
        // cache is served to every USSD user (issue 15 item 1).
        if (!failure && !o.overlong && !req.context && options.cacheApiAnswers)
          void cache.set(req.query, cacheLang(lang), o.progress.text);
        record(q, {
          prompt: renderPrompt(messages),
          passages,
          answer: o.progress.text,
          tokensIn: o.tokensIn,
          tokensOut: o.tokensOut,
          ttftMs: o.ttftMs,
          source: 'model',
          outcome: failure ?? 'ok',
        });
        if (o.error && failure !== 'timeout' && failure !== 'error' && failure !== 'busy') throw o.error;
        if (failure === 'busy') throw new InferenceHttpError(503, 'gateway queue full, try again');
        if (failure === 'timeout') throw new InferenceTimeoutError('no answer within the answer time limit');
        if (failure === 'down' || failure === 'model-missing')
          throw o.error ?? new InferenceHttpError(503, failure);
        if (failure) throw new InferenceHttpError(502, 'the answer could not be completed');
        return {
          response: o.progress.text,
          tokens_used: o.tokensIn + o.tokensOut,
          latency_ms: clock() - q.at,
        };
      } finally {
        clearTimeout(timer);
        apiRuns.delete(ctl);
      }
    },

    readiness: () => hosts.readiness(),

    async close(): Promise<void> {
      closed = true;
      for (const ctl of apiRuns) ctl.abort(new DOMException('gateway closing', 'AbortError'));
      hosts.close();
      await queue.close();
    },
  };
}

function isAnswerStore(store: AnswerCacheStore): store is AnswerCacheStore & AnswerStore {
  const s = store as Partial<AnswerStore>;
  return typeof s.putAnswer === 'function' && typeof s.claimPending === 'function';
}

function within<T>(work: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    work,
    sleep(Math.max(0, ms), null).then(() => {
      throw new Error(`[queue] no answer within ${Math.round(ms)} ms`);
    }),
  ]);
}

function sleep<T>(ms: number, value: T): Promise<T> {
  return new Promise((resolve) => setTimeout(resolve, ms, value).unref());
}
