// The answer pipeline the app uses (issue 4): FAQ first (instant, works with the model down), then
// the answer cache, then admission (a bounded pool with a short queue), then a streamed generation
// that answers the hop by its deadline and goes on in the background. Every question is logged.
// It must not know HTTP, USSD or the session store beyond its small cache; it never rejects ask().
//
// onProgress carries only news after ask() resolved (the resolved value is not repeated), throttled,
// and always the final state.
//
// Queue policy: a queued question whose caller's deadline passed stays queued and still runs (the
// user may come back for it), within its own answer time limit; but a new caller who finds the
// queue full evicts the oldest such question rather than being turned away (limiter.ts).
//
// Knowledge (issue 18): a question the FAQ and the cache do not answer takes the knowledge base's
// passages for it into its prompt (messagesFor), and they are logged with it. All of it is here.
import { createHash, randomUUID } from 'node:crypto';
import { InferenceHttpError, InferenceTimeoutError } from '../errors.ts';
import type { Knowledge } from '../knowledge/types.ts';
import type { InteractionLog, QuestionRow } from '../log/types.ts';
import type { Logger } from '../logger.ts';
import type { AnswerProgress, Lang } from '../types.ts';
import { type AnswerCacheStore, createAnswerCache } from './cache.ts';
import { createGeneration, type GenerationOutcome } from './generation.ts';
import { createLimiter } from './limiter.ts';
import { buildMessages, type PromptShape, renderPrompt } from './prompt.ts';
import type {
  Answerer,
  AnswerModel,
  AskRequest,
  ChatMessage,
  Faq,
  QueryRequest,
  QueryResult,
} from './types.ts';

export interface AnswererOptions {
  /** OLLAMA_MAX_CONCURRENT: generations at once. */
  maxConcurrent: number;
  /** OLLAMA_MAX_QUEUE: questions waiting for a slot; one more answers "busy" at once. */
  maxQueue: number;
  /** OLLAMA_NUM_PREDICT: cap on generated tokens. */
  numPredict: number;
  /** ANSWER_CACHE_TTL_SECONDS; 0 turns the cache off. */
  cacheTtlSeconds: number;
  /**
   * API_CACHE_ANSWERS: whether an /api/query answer (without context) may enter the cache that
   * USSD users are served from. Off by default: an API caller is not a USSD user (issue 15).
   */
  cacheApiAnswers?: boolean;
  /** ANSWER_TIMEOUT_MS: the whole answer's limit, queue wait and background included. */
  answerTimeoutMs: number;
  /** Longest silence between tokens once an answer has started (default 20 s). */
  stallTimeoutMs?: number;
  /** At most one onProgress call per this many ms while the answer grows (default 250). */
  progressIntervalMs?: number;
  /** Where the passages go in the prompt (default notes-last; the other is for `npm run eval`). */
  promptShape?: PromptShape;
}

export interface AnswererDeps {
  model: AnswerModel;
  cache: AnswerCacheStore;
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

export function createAnswerer(deps: AnswererDeps): Answerer {
  const { model, log, faq, knowledge, logger, options } = deps;
  const clock = deps.clock ?? Date.now;
  const hashUserId =
    deps.hashUserId ?? ((id: string) => createHash('sha256').update(id).digest('hex').slice(0, 32));
  const cache = createAnswerCache(deps.cache, options.cacheTtlSeconds, logger);
  const limiter = createLimiter(options);
  const live = new Set<{ abort(): void }>();
  const settled = new Set<Promise<void>>();
  let warnedMissing = false;
  let closed = false;

  interface Asked {
    id: string;
    at: number;
    sessionId: string;
    phoneHash: string;
    channel: 'ussd' | 'api';
    lang: Lang;
    question: string;
    /**
     * Whether its answer may enter the shared cache, served to every USSD user (issue 15): never
     * when it depends on caller-supplied context, and from the API only if the operator allows it.
     */
    cacheable: boolean;
    /** Ids of the passages in its prompt; null when the knowledge base was not asked. */
    passages: string[] | null;
  }

  /** The question's passages, then its messages. The answer cache is per version of the base. */
  function messagesFor(q: Asked, context?: string): ChatMessage[] {
    let notes: { id: string; heading: string; text: string }[] = [];
    if (knowledge) {
      try {
        notes = knowledge.retrieve(q.question, q.lang).passages;
        q.passages = notes.map((n) => n.id);
      } catch (err) {
        logger.warn({ err, sessionId: q.sessionId }, '[inference] knowledge lookup failed; asking without');
      }
    }
    return buildMessages(q.question, q.lang, context, notes, options.promptShape);
  }

  /** Cached answers are keyed by the knowledge base's version too: new passages, new answers. */
  const cacheLang = (q: Asked) => (knowledge ? `${q.lang}:${knowledge.version}` : q.lang);

  function record(
    q: Asked,
    fields: Partial<QuestionRow> & Pick<QuestionRow, 'answer' | 'source' | 'outcome'>,
  ): void {
    log.recordQuestion({
      id: q.id,
      at: q.at,
      sessionId: q.sessionId,
      phoneHash: q.phoneHash,
      channel: q.channel,
      lang: q.lang,
      model: model.model,
      question: q.question,
      prompt: '',
      tokensIn: 0,
      tokensOut: 0,
      ttftMs: null,
      latencyMs: clock() - q.at,
      deadlineCut: false,
      cacheHit: false,
      passages: q.passages,
      ...fields,
    });
  }

  /** FAQ, then cache: an answer without the model, or null. */
  async function known(
    q: Asked,
    waitMs: number,
    context?: string,
  ): Promise<{ text: string; source: 'faq' | 'cache' } | null> {
    if (context) return null; // an answer depends on its context: neither FAQ nor cache applies
    const fromFaq = faq.match(q.question, q.lang);
    if (fromFaq !== null) return { text: fromFaq, source: 'faq' };
    const wait = Math.max(0, Math.min(CACHE_READ_MS, waitMs));
    const fromCache = await Promise.race([cache.get(q.question, cacheLang(q)), sleep(wait, null)]);
    return fromCache ? { text: fromCache, source: 'cache' } : null;
  }

  /** Starts a generation through the limiter; `onEnd` also logs, caches and warns. */
  function generate(
    q: Asked,
    messages: ChatMessage[],
    hop: {
      deadline: number;
      pageSeptets: number;
      onFirst(p: AnswerProgress): void;
      onProgress(p: AnswerProgress): void;
    },
    onEnd: (o: GenerationOutcome) => void,
  ): void {
    let release: () => void = () => {};
    const over = new Promise<void>((resolve) => {
      release = resolve;
    });
    settled.add(over);
    const gen = createGeneration({
      model,
      id: q.id,
      messages,
      numPredict: options.numPredict,
      startedAt: q.at,
      answerTimeoutMs: options.answerTimeoutMs,
      stallTimeoutMs: options.stallTimeoutMs ?? 20_000,
      progressIntervalMs: options.progressIntervalMs ?? 250,
      clock,
      ...hop,
      onEnd(o) {
        live.delete(gen);
        limiter.remove(gen.job);
        finish(q, messages, o);
        onEnd(o);
        settled.delete(over);
        release();
      },
    });
    live.add(gen);
    if (closed || !limiter.submit(gen.job)) gen.fail(closed ? 'error' : 'busy');
  }

  function finish(q: Asked, messages: ChatMessage[], o: GenerationOutcome): void {
    const failure = o.progress.failure;
    if (failure === 'model-missing') {
      if (!warnedMissing) {
        warnedMissing = true;
        logger.error(
          { model: model.model },
          `[inference] model '${model.model}' is not pulled: run \`ollama pull ${model.model}\``,
        );
      }
    } else if (!failure) {
      warnedMissing = false;
      if (q.cacheable) void cache.set(q.question, cacheLang(q), o.progress.text);
    }
    if (o.error && failure !== 'model-missing')
      logger.warn(
        { err: o.error, sessionId: q.sessionId, questionId: q.id, failure },
        '[inference] answer failed',
      );
    record(q, {
      prompt: renderPrompt(messages),
      answer: o.progress.text,
      tokensIn: o.tokensIn,
      tokensOut: o.tokensOut,
      ttftMs: o.ttftMs,
      latencyMs: o.latencyMs,
      deadlineCut: o.deadlineCut,
      source: 'model',
      outcome: failure ?? 'ok',
    });
  }

  return {
    async ask(req: AskRequest): Promise<AnswerProgress> {
      const q: Asked = {
        id: req.questionId,
        at: clock(),
        sessionId: req.sessionId,
        phoneHash: req.phoneHash,
        channel: 'ussd',
        lang: req.lang,
        question: req.question,
        cacheable: true,
        passages: null,
      };
      try {
        const hit = await known(q, req.deadline - q.at);
        if (hit) {
          record(q, {
            answer: hit.text,
            source: hit.source,
            cacheHit: hit.source === 'cache',
            outcome: 'ok',
          });
          return { id: q.id, text: hit.text, done: true, source: hit.source };
        }
      } catch (err) {
        logger.warn({ err, sessionId: q.sessionId }, '[inference] FAQ/cache lookup failed');
      }
      return new Promise<AnswerProgress>((resolve) => {
        const { deadline, pageSeptets, onProgress } = req;
        generate(q, messagesFor(q), { deadline, pageSeptets, onFirst: resolve, onProgress }, () => {});
      });
    },

    async query(req: QueryRequest): Promise<QueryResult> {
      const lang = req.lang ?? 'en';
      const q: Asked = {
        id: randomUUID(),
        at: clock(),
        sessionId: '',
        phoneHash: hashUserId(req.userId),
        channel: 'api',
        lang,
        question: req.query,
        cacheable: !req.context && options.cacheApiAnswers === true,
        passages: null,
      };
      const hit = await known(q, CACHE_READ_MS, req.context);
      if (hit) {
        record(q, { answer: hit.text, source: hit.source, cacheHit: hit.source === 'cache', outcome: 'ok' });
        return { response: hit.text, tokens_used: 0, latency_ms: clock() - q.at };
      }
      const o = await new Promise<GenerationOutcome>((resolve) => {
        const hop = {
          deadline: Number.POSITIVE_INFINITY,
          pageSeptets: Number.POSITIVE_INFINITY,
          onFirst() {},
          onProgress() {},
        };
        generate(q, messagesFor(q, req.context), hop, resolve);
      });
      if (o.error) throw o.error;
      const failure = o.progress.failure;
      if (failure === 'busy') throw new InferenceHttpError(503, 'gateway queue full, try again');
      if (failure === 'timeout') throw new InferenceTimeoutError('no answer within the answer time limit');
      if (failure === 'error') throw new InferenceHttpError(502, 'the answer could not be completed');
      return {
        response: o.progress.text,
        tokens_used: o.tokensIn + o.tokensOut,
        latency_ms: o.latencyMs,
      };
    },

    readiness: () => model.check(),

    async close(): Promise<void> {
      closed = true;
      limiter.close();
      for (const gen of live) gen.abort();
      await Promise.race([Promise.all(settled), sleep(2000, null)]);
    },
  };
}

function sleep<T>(ms: number, value: T): Promise<T> {
  return new Promise((resolve) => setTimeout(resolve, ms, value).unref());
}
