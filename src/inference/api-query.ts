// The JSON API's question (/api/query, issue 15): FAQ and cache first, then a generation on the
// API's own share of the model slots, never through the question queue; its failures thrown as
// the typed inference errors the API route maps to a status.
// It must not enter the cache an answer made with the caller's context, nor one the operator did
// not allow (API_CACHE_ANSWERS): the cache is served to every USSD user.
import { randomUUID } from 'node:crypto';
import { InferenceHttpError, InferenceTimeoutError } from '../errors.ts';
import { type AnswerSources, CACHE_READ_MS } from './answer-sources.ts';
import type { AnswerCache } from './cache.ts';
import { runGeneration } from './generation.ts';
import type { ModelHosts } from './hosts.ts';
import { renderPrompt } from './prompt.ts';
import type { RecordQuestion } from './question-log.ts';
import type { QueryRequest, QueryResult } from './types.ts';

export interface ApiQueryDeps {
  hosts: ModelHosts;
  cache: AnswerCache;
  sources: AnswerSources;
  record: RecordQuestion;
  clock: () => number;
  hashUserId: (userId: string) => string;
  /** The answerer is closing: no new generation starts. */
  isClosed: () => boolean;
  /** The API's generations under way, aborted by the answerer's close(). */
  apiRuns: Set<AbortController>;
  generationOptions: {
    numPredict: number;
    answerTimeoutMs: number;
    stallTimeoutMs: number;
    progressIntervalMs: number;
  };
  options: { answerTimeoutMs: number; cacheApiAnswers?: boolean };
}

export function createApiQuery(deps: ApiQueryDeps): (req: QueryRequest) => Promise<QueryResult> {
  const { hosts, cache, record, clock, hashUserId, apiRuns, generationOptions, options } = deps;
  const { known, promptFor, cacheLang } = deps.sources;
  return async function query(req: QueryRequest): Promise<QueryResult> {
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
    if (deps.isClosed()) throw new InferenceHttpError(503, 'gateway closing');
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
  };
}
