// One answer being generated: streams the model, keeps the cleaned text, hands the first screen
// (or whatever is ready at the hop deadline) to the waiting hop, then goes on in the background,
// reporting progress, until done, failed or out of time. Every way out closes the HTTP stream
// (the driver aborts on return/throw; our controller covers the wait for headers), so Ollama's slot
// is freed (shared/research/inference.md §2.4). It must not throw to its owner: failures are data.
import { InferenceHttpError, InferenceNetworkError, InferenceTimeoutError } from '../errors.ts';
import { cleanAnswer } from '../screen/fit.ts';
import { septets } from '../screen/gsm7.ts';
import type { AnswerFailure, AnswerProgress } from '../types.ts';
import type { LimiterJob } from './limiter.ts';
import type { AnswerModel, ChatMessage } from './types.ts';

export interface GenerationSpec {
  model: AnswerModel;
  id: string;
  messages: ChatMessage[];
  numPredict: number;
  /** When the question came in (clock ms): the answer's time limit and latencies count from here. */
  startedAt: number;
  /** Clock ms by which `onFirst` must have been called (Infinity: only at the end). */
  deadline: number;
  /** onFirst fires early once the text is longer than this (Infinity: never early). */
  pageSeptets: number;
  /** The whole answer's limit, queue wait included. */
  answerTimeoutMs: number;
  /** Longest silence between two tokens once the answer has started. */
  stallTimeoutMs: number;
  progressIntervalMs: number;
  clock: () => number;
  /** The hop's answer: the first screen, what is ready at the deadline, or the end. Called once. */
  onFirst(progress: AnswerProgress): void;
  /** Updates after onFirst, throttled, and the final one. */
  onProgress(progress: AnswerProgress): void;
  /** Called once when it is over, whatever happened. */
  onEnd(outcome: GenerationOutcome): void;
}

export interface GenerationOutcome {
  progress: AnswerProgress;
  /** The error that ended it, as the driver threw it (null when it ended well or never ran). */
  error: Error | null;
  tokensIn: number;
  tokensOut: number;
  ttftMs: number | null;
  latencyMs: number;
  /** onFirst was called by the deadline before the answer was complete. */
  deadlineCut: boolean;
}

export interface Generation {
  job: LimiterJob;
  /** Ends it without running (not admitted, dropped from the queue). */
  fail(failure: AnswerFailure): void;
  /** Aborts a running generation (shutdown); a queued one ends as failed. */
  abort(): void;
}

export function createGeneration(spec: GenerationSpec): Generation {
  const { clock } = spec;
  const ctl = new AbortController();
  let raw = '';
  let firstSent = false;
  let ended = false;
  let started = false;
  let deadlineCut = false;
  let ttftMs: number | null = null;
  let lastEmit = 0;
  let emitted = '';
  let trailing: NodeJS.Timeout | undefined;
  let stall: NodeJS.Timeout | undefined;

  const progress = (text: string, done: boolean, failure?: AnswerFailure): AnswerProgress => ({
    id: spec.id,
    text,
    done,
    source: 'model',
    ...(failure ? { failure } : {}),
  });

  const first = (p: AnswerProgress) => {
    if (firstSent) return;
    firstSent = true;
    emitted = p.text;
    lastEmit = clock();
    spec.onFirst(p);
  };

  // The hop gets what is ready at its deadline, even if that is nothing ("still thinking").
  const deadlineTimer = Number.isFinite(spec.deadline)
    ? setTimeout(
        () => {
          if (firstSent || ended) return;
          deadlineCut = true;
          first(progress(partialText(raw), false));
        },
        clampDelay(spec.deadline - clock()),
      )
    : undefined;
  const answerTimer = setTimeout(
    () => ctl.abort(new DOMException('answer time limit', 'TimeoutError')),
    clampDelay(spec.startedAt + spec.answerTimeoutMs - clock()),
  );
  // A queued job whose time ran out never starts: the abort ends it here.
  ctl.signal.addEventListener('abort', () => {
    if (!started) end(progress('', true, timedOut(ctl.signal) ? 'timeout' : 'error'), null, 0, 0);
  });

  const report = (p: AnswerProgress) => {
    try {
      spec.onProgress(p);
    } catch {
      // a failing listener must not stop the answer (the caller logs its own errors)
    }
  };

  const grow = () => {
    const text = partialText(raw);
    if (!firstSent) {
      if (septets(text) > spec.pageSeptets) first(progress(text, false));
      return;
    }
    if (text === emitted || trailing) return;
    const wait = lastEmit + spec.progressIntervalMs - clock();
    const flush = () => {
      trailing = undefined;
      if (ended) return;
      const now = partialText(raw);
      if (now === emitted) return;
      emitted = now;
      lastEmit = clock();
      report(progress(now, false));
    };
    if (wait <= 0) flush();
    else trailing = setTimeout(flush, wait);
  };

  function end(p: AnswerProgress, error: Error | null, tokensIn: number, tokensOut: number): void {
    if (ended) return;
    ended = true;
    clearTimeout(deadlineTimer);
    clearTimeout(answerTimer);
    clearTimeout(trailing);
    clearTimeout(stall);
    ctl.abort(new DOMException('generation over', 'AbortError'));
    if (!firstSent) first(p);
    else report(p);
    const latencyMs = clock() - spec.startedAt;
    spec.onEnd({ progress: p, error, tokensIn, tokensOut, ttftMs, latencyMs, deadlineCut });
  }

  async function run(): Promise<void> {
    if (ended || ctl.signal.aborted) return;
    started = true;
    let responded = false;
    const armStall = () => {
      clearTimeout(stall);
      stall = setTimeout(
        () => ctl.abort(new DOMException('stream stalled', 'TimeoutError')),
        spec.stallTimeoutMs,
      );
    };
    try {
      for await (const chunk of spec.model.generate(
        { messages: spec.messages, numPredict: spec.numPredict },
        ctl.signal,
      )) {
        // Ollama sends its headers with the first token, so from here on silence means a stall.
        responded = true;
        armStall();
        if (chunk.text !== '' || chunk.done) ttftMs ??= clock() - spec.startedAt;
        raw += chunk.text;
        if (chunk.done) {
          const text = finalText(raw, chunk.done.reason);
          const p = text === '' ? progress('', true, 'empty') : progress(text, true);
          return end(p, null, chunk.done.tokensIn, chunk.done.tokensOut);
        }
        grow();
      }
      end(
        progress(partialText(raw), true, 'error'),
        new InferenceNetworkError('stream ended without done'),
        0,
        0,
      );
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      const failure = ctl.signal.aborted && !timedOut(ctl.signal) ? 'error' : failureOf(error, responded);
      end(progress(partialText(raw), true, failure), error, 0, 0);
    }
  }

  return {
    job: {
      run,
      detached: () => firstSent,
      drop: (reason) => end(progress('', true, reason === 'evicted' ? 'busy' : 'error'), null, 0, 0),
    },
    fail: (failure) => end(progress('', true, failure), null, 0, 0),
    abort: () => ctl.abort(new DOMException('gateway closing', 'AbortError')),
  };
}

/** Maps a driver error to the screen the user sees. `responded`: Ollama had started answering. */
export function failureOf(err: Error, responded: boolean): AnswerFailure {
  if (err instanceof InferenceTimeoutError) return 'timeout';
  if (err instanceof InferenceHttpError) {
    if (err.status === 404) return 'model-missing';
    if (err.status === 503 || err.status === 429) return 'busy';
    return 'error';
  }
  if (err instanceof InferenceNetworkError) return responded ? 'error' : 'down';
  return 'error';
}

/** Text while the answer grows: the word still being written is held back ("2." may be "2.5"). */
export function partialText(raw: string): string {
  const tail = /\S+$/.exec(raw);
  return cleanAnswer(tail ? raw.slice(0, tail.index) : raw);
}

/**
 * The finished text. Cut by num_predict, its last word may be cut too: it ends at its last full
 * sentence, or at its last whole word followed by "...".
 */
export function finalText(raw: string, reason: string): string {
  const whole = cleanAnswer(raw);
  if (reason !== 'length' || whole === '' || /[.!?]$/.test(whole)) return whole;
  const text = partialText(raw) || whole;
  let end = -1;
  for (const m of text.matchAll(/[.!?](?=\s)/g)) end = m.index + 1;
  return end >= text.length * 0.6 ? text.slice(0, end) : `${text.replace(/[\s,;:-]+$/, '')}...`;
}

function timedOut(signal: AbortSignal): boolean {
  return (signal.reason as { name?: string } | undefined)?.name === 'TimeoutError';
}

/** setTimeout takes at most 2^31-1 ms. */
function clampDelay(ms: number): number {
  return Math.min(Math.max(0, ms), 2_147_483_647);
}
