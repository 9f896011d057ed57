// The answer pipeline the app uses (issues 4, 13): FAQ first (instant, works with the model down),
// then the answer cache, then the question queue shared by every replica (worker.ts answers it on
// whichever replica has a free model slot). ask() answers the hop by its deadline with the first
// screen when it is ready, else with where the asker stands, estimated from the measured answer
// time (estimate.ts): still thinking while the answer can come in the session, else by SMS or at
// the next dial; "busy" only past maxWaitMs of model backlog. One pending question per phone.
// The JSON API generates on its own share of the slots, never through the queue.
// Knowledge (issue 18): a question the FAQ and the cache do not answer takes the knowledge base's
// passages for it into its prompt (promptFor in answer-sources.ts, used by the worker too), logged with it; the
// cache is per version of the base.
// It must not know HTTP, USSD screens or which drivers it was given; it never rejects ask().
// Split by idea: its inputs (answerer-deps.ts), the FAQ/cache/passages (answer-sources.ts), the
// log row (question-log.ts), the in-session wait (waiters.ts) and the API's path (api-query.ts);
// what stays here is the wiring and the hop's ask: the queue admission and the deadline's answer.
import { createHash } from 'node:crypto';
import { createMemoryQueue } from '../queue/memory.ts';
import { createMemorySlotPool } from '../queue/memory-slots.ts';
import { createMemorySessionStore } from '../session/memory.ts';
import { entries, entryOf } from '../session/pending.ts';
import type { AnswerProgress, PendingAnswer } from '../types.ts';
import { createAnswerSources } from './answer-sources.ts';
import { type AnswererDeps, isAnswerStore } from './answerer-deps.ts';
import { createApiQuery } from './api-query.ts';
import { createAnswerCache } from './cache.ts';
import { createAnswerClock, etaMs, inSession } from './estimate.ts';
import { createModelHosts } from './hosts.ts';
import { createQuestionRecorder } from './question-log.ts';
import { sleep, within } from './race.ts';
import type { Answerer, AskRequest } from './types.ts';
import { createWaiters, type Waiter } from './waiters.ts';
import { createQuestionWorker, type QuestionJob, type QuestionResult } from './worker.ts';

export type { AnswererDeps, AnswererOptions, AnswerStore } from './answerer-deps.ts';

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

  const { promptFor, cacheLang, known } = createAnswerSources({
    faq,
    cache,
    knowledge,
    logger,
    promptShape: options.promptShape,
  });
  let closed = false;

  // Hops waiting on their question's first screen, and who wants its later progress.
  const waiters = createWaiters(queue);
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

  const record = createQuestionRecorder(log, hosts, clock);

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

    query: createApiQuery({
      hosts,
      cache,
      sources: { promptFor, cacheLang, known },
      record,
      clock,
      hashUserId,
      isClosed: () => closed,
      apiRuns,
      generationOptions,
      options,
    }),

    readiness: () => hosts.readiness(),

    async close(): Promise<void> {
      closed = true;
      for (const ctl of apiRuns) ctl.abort(new DOMException('gateway closing', 'AbortError'));
      hosts.close();
      await queue.close();
    },
  };
}
