// One answer being generated on a model slot: streams the model, keeps the cleaned text
// (stream-text.ts, incremental and capped), says when the first screen is ready, reports progress
// throttled, and ends done, failed or out of time. Every way out closes the HTTP stream (the driver
// aborts on return/throw; our controller covers the wait for headers), so Ollama's slot is freed
// (shared/research/inference.md §2.4). It must not throw to its owner: failures are data. The hop's
// deadline is not its business: the hop waits on its own side (answerer.ts).
import { InferenceHttpError, InferenceNetworkError, InferenceTimeoutError } from '../errors.ts';
import { septets } from '../screen/gsm7.ts';
import type { AnswerFailure, AnswerProgress } from '../types.ts';
import { createStreamText } from './stream-text.ts';
import type { AnswerModel, ChatMessage } from './types.ts';

/**
 * Raw characters read per token of num_predict at most: a token is ~3-5 characters (inference.md
 * §0), so this is a few times what num_predict allows. A stream past it is not a model answering.
 */
export const MAX_CHARS_PER_TOKEN = 20;

export interface GenerationSpec {
  model: AnswerModel;
  id: string;
  messages: ChatMessage[];
  numPredict: number;
  /** The generation's own limit, from now. */
  answerTimeoutMs: number;
  /** Longest silence between two tokens once the answer has started. */
  stallTimeoutMs: number;
  progressIntervalMs: number;
  clock: () => number;
  /** onFirst fires once the text is longer than this, or at the end. */
  pageSeptets: number;
  /** The first screen is ready (or the answer ended before one filled). Called once. */
  onFirst(progress: AnswerProgress): void;
  /** Updates after onFirst, throttled, and the final one. */
  onProgress(progress: AnswerProgress): void;
  /** Aborts the generation (shutdown). */
  signal?: AbortSignal;
}

export interface GenerationOutcome {
  progress: AnswerProgress;
  /** The error that ended it, as the driver threw it (null when it ended well). */
  error: Error | null;
  tokensIn: number;
  tokensOut: number;
  /** From the start of the generation to its first token. */
  ttftMs: number | null;
  /** From the start of the generation to its end. */
  ms: number;
  /** The stream went past MAX_CHARS_PER_TOKEN × num_predict characters and was cut there. */
  overlong: boolean;
}

export async function runGeneration(spec: GenerationSpec): Promise<GenerationOutcome> {
  const { clock } = spec;
  const startedAt = clock();
  const ctl = new AbortController();
  const text = createStreamText(spec.numPredict * MAX_CHARS_PER_TOKEN);
  let firstSent = false;
  let ttftMs: number | null = null;
  let lastEmit = 0;
  let emitted = '';
  let trailing: NodeJS.Timeout | undefined;
  let stall: NodeJS.Timeout | undefined;

  const progress = (t: string, done: boolean, failure?: AnswerFailure): AnswerProgress => ({
    id: spec.id,
    text: t,
    done,
    source: 'model',
    ...(failure ? { failure } : {}),
  });
  const report = (p: AnswerProgress) => {
    try {
      spec.onProgress(p);
    } catch {
      // a failing listener must not stop the answer (the caller logs its own errors)
    }
  };
  const first = (p: AnswerProgress) => {
    if (firstSent) return;
    firstSent = true;
    emitted = p.text;
    lastEmit = clock();
    try {
      spec.onFirst(p);
    } catch {
      // as above
    }
  };

  const answerTimer = setTimeout(
    () => ctl.abort(new DOMException('answer time limit', 'TimeoutError')),
    clampDelay(spec.answerTimeoutMs),
  );
  const stop = () => ctl.abort(spec.signal?.reason ?? new DOMException('aborted', 'AbortError'));
  if (spec.signal?.aborted) stop();
  else spec.signal?.addEventListener('abort', stop, { once: true });

  const grow = () => {
    if (!firstSent) {
      const now = text.partial();
      if (septets(now) > spec.pageSeptets) return first(progress(now, false));
    }
    // Throttled, before the first screen too: a hop whose deadline comes first shows what is ready.
    if (trailing) return;
    const flush = () => {
      trailing = undefined;
      const now = text.partial();
      if (now === emitted) return;
      emitted = now;
      lastEmit = clock();
      report(progress(now, false));
    };
    const wait = lastEmit + spec.progressIntervalMs - clock();
    if (wait <= 0) flush();
    else trailing = setTimeout(flush, wait);
  };

  const end = (p: AnswerProgress, error: Error | null, tokensIn = 0, tokensOut = 0, overlong = false) => {
    clearTimeout(answerTimer);
    clearTimeout(trailing);
    clearTimeout(stall);
    spec.signal?.removeEventListener('abort', stop);
    ctl.abort(new DOMException('generation over', 'AbortError'));
    if (!firstSent) first(p);
    else report(p);
    return { progress: p, error, tokensIn, tokensOut, ttftMs, ms: clock() - startedAt, overlong };
  };

  let responded = false;
  // Set once the answer is over: closing the stream after it may throw, which changes nothing.
  let result: GenerationOutcome | null = null;
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
      if (ctl.signal.aborted) break;
      // Ollama sends its headers with the first token, so from here on silence means a stall.
      responded = true;
      armStall();
      if (chunk.text !== '' || chunk.done) ttftMs ??= clock() - startedAt;
      if (!text.push(chunk.text)) {
        const cut = text.final('length');
        result = end(cut === '' ? progress('', true, 'empty') : progress(cut, true), null, 0, 0, true);
        break;
      }
      if (chunk.done) {
        const final = text.final(chunk.done.reason);
        const p = final === '' ? progress('', true, 'empty') : progress(final, true);
        result = end(p, null, chunk.done.tokensIn, chunk.done.tokensOut);
        break;
      }
      grow();
    }
    if (result) return result;
    if (ctl.signal.aborted) throw ctl.signal.reason;
    return end(
      progress(text.partial(), true, 'error'),
      new InferenceNetworkError('stream ended without done'),
    );
  } catch (err) {
    if (result) return result;
    const error = err instanceof Error ? err : new Error(String(err));
    const timedOut = (ctl.signal.reason as { name?: string } | undefined)?.name === 'TimeoutError';
    const failure = ctl.signal.aborted && !timedOut ? 'error' : failureOf(error, responded);
    return end(progress(text.partial(), true, timedOut ? 'timeout' : failure), error);
  }
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
  const t = createStreamText();
  t.push(raw);
  return t.partial();
}

/**
 * The finished text. Cut by num_predict, its last word may be cut too: it ends at its last full
 * sentence, or at its last whole word followed by "...".
 */
export function finalText(raw: string, reason: string): string {
  const t = createStreamText();
  t.push(raw);
  return t.final(reason);
}

/** setTimeout takes at most 2^31-1 ms. */
function clampDelay(ms: number): number {
  return Math.min(Math.max(0, ms), 2_147_483_647);
}
