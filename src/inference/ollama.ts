// The AnswerModel driver for Ollama's native HTTP API, through the `ollama` npm client.
// One client per request, whose fetch carries our AbortSignal: the library's own abort() cannot
// cancel a request still waiting for headers, and a forgotten stream keeps Ollama's slot busy
// (shared/research/inference.md §2.4, §2.5). Runner options are the same on every call, or Ollama
// reloads the model (§1.9). It must not retry, queue or time answers: the answerer does that.
import { type AbortableAsyncIterator, type ChatResponse, Ollama } from 'ollama';
import { InferenceHttpError, InferenceNetworkError, InferenceTimeoutError } from '../errors.ts';
import type { AnswerModel, GenerateChunk, GenerateRequest, ModelHealth } from './types.ts';

export interface OllamaModelOptions {
  /** OLLAMA_HOST, e.g. http://127.0.0.1:11434 */
  host: string;
  /** OLLAMA_MODEL, e.g. llama3.2:3b */
  model: string;
  /** A runner option: constant, or every change reloads the model. */
  numCtx: number;
  /** Default -1: the model stays loaded. */
  keepAlive?: number | string;
  /** Default 0.3: short, sober answers (§6.1). */
  temperature?: number;
  /** Time limit of check() (default 2000 ms): /readyz must answer quickly. */
  checkTimeoutMs?: number;
  fetch?: typeof fetch;
}

/** Stop at the first blank line: no second paragraph, no list after the answer (§6.1). */
const STOP = ['\n\n'];

export function createOllamaModel(opts: OllamaModelOptions): AnswerModel {
  const { host, model, numCtx, keepAlive = -1, temperature = 0.3, checkTimeoutMs = 2000 } = opts;
  const baseFetch = opts.fetch ?? fetch;
  // Identical on every call, warm-up included: any difference in a runner option is a reload.
  const options = { num_ctx: numCtx, temperature, repeat_penalty: 1.1, stop: STOP };

  /**
   * A client whose every request is also bound to `signal` (headers wait, body, non-stream calls),
   * and whose streams are checked line by line (jsonLinesOnly).
   */
  function clientFor(signal: AbortSignal, onBadLine: (line: string) => void = () => {}): Ollama {
    const boundFetch: typeof fetch = async (input, init = {}) => {
      const res = await baseFetch(input, {
        ...init,
        signal: init.signal ? AbortSignal.any([init.signal, signal]) : signal,
      });
      if (!res.body || !(res.headers.get('content-type') ?? '').includes('ndjson')) return res;
      const { status, statusText, headers } = res;
      return new Response(res.body.pipeThrough(jsonLinesOnly(onBadLine)), { status, statusText, headers });
    };
    return new Ollama({ host, fetch: boundFetch });
  }

  async function* generate(req: GenerateRequest, signal: AbortSignal): AsyncGenerator<GenerateChunk> {
    const ctl = new AbortController();
    const stop = () => ctl.abort(signal.reason);
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
    try {
      let stream: AbortableAsyncIterator<ChatResponse>;
      let badLine: string | null = null;
      try {
        stream = await clientFor(ctl.signal, (line) => {
          badLine = line;
        }).chat({
          model,
          messages: req.messages,
          stream: true,
          keep_alive: keepAlive,
          options: { ...options, num_predict: req.numPredict },
        });
      } catch (err) {
        throw toInferenceError(err, ctl.signal, `unreachable at ${host}`);
      }
      // The response has started: an empty chunk tells the caller Ollama is up, so a later
      // failure is a broken stream, not an unreachable server.
      yield { text: '' };
      try {
        for await (const part of stream) {
          const text = part.message?.content ?? '';
          if (part.done) {
            yield {
              text,
              done: {
                reason: part.done_reason ?? 'stop',
                tokensIn: part.prompt_eval_count ?? 0,
                tokensOut: part.eval_count ?? 0,
              },
            };
            return;
          }
          if (text !== '') yield { text };
        }
      } catch (err) {
        if (badLine !== null && !ctl.signal.aborted) {
          const shown = JSON.stringify((badLine as string).slice(0, 40));
          throw new InferenceNetworkError(`stream broke: a line that is not JSON (${shown})`, {
            cause: err,
          });
        }
        throw toInferenceError(err, ctl.signal, 'stream broke');
      }
    } finally {
      signal.removeEventListener('abort', stop);
      // Closes the HTTP request whatever happened (a break, an error, the end): Ollama stops
      // decoding and frees the slot as soon as it sees the socket close (§1.9).
      ctl.abort(new DOMException('stream released', 'AbortError'));
    }
  }

  async function check(): Promise<ModelHealth> {
    const signal = AbortSignal.timeout(checkTimeoutMs);
    const client = clientFor(signal);
    let names: string[];
    try {
      const { models } = await client.list();
      names = models.flatMap((m) => [m.name, m.model]);
    } catch (err) {
      const e = toInferenceError(err, signal, `unreachable at ${host}`);
      const detail =
        e instanceof InferenceHttpError
          ? `${host} answered HTTP ${e.status} to /api/tags`
          : e instanceof InferenceTimeoutError
            ? `unreachable at ${host}: no answer within ${checkTimeoutMs} ms`
            : e.message.replace(/^\[inference\] /, '');
      return { ok: false, detail };
    }
    if (!names.some((n) => sameModel(n, model))) {
      return { ok: false, detail: `model '${model}' is not pulled: run \`ollama pull ${model}\`` };
    }
    const loaded = await client.ps().then(
      (r) => r.models.some((m) => sameModel(m.name, model) || sameModel(m.model, model)),
      () => false,
    );
    return { ok: true, detail: loaded ? 'ok' : 'ok (model not loaded yet)' };
  }

  async function warm(): Promise<void> {
    // No deadline: a client that leaves during a load aborts the load (§1.9, §1.10).
    const client = clientFor(new AbortController().signal);
    try {
      await client.chat({ model, messages: [], stream: false, keep_alive: keepAlive, options });
    } catch (err) {
      throw toInferenceError(err, undefined, `unreachable at ${host}`);
    }
  }

  return { model, generate, check, warm };
}

/**
 * Passes a stream of JSON lines through, and ends it before the first line that is not JSON,
 * telling `onBad`: ollama-js would print that line on the console (console.warn, outside our log)
 * and read on, where a line of garbage means the stream is broken (issue 16). Ending it (rather
 * than failing it) still delivers the lines before; the client then reports a stream with no end.
 */
function jsonLinesOnly(onBad: (line: string) => void): TransformStream<Uint8Array, Uint8Array> {
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  let buffer = '';
  let bad = false;
  const pass = (line: string, controller: TransformStreamDefaultController<Uint8Array>) => {
    if (bad || line.trim() === '') return;
    try {
      JSON.parse(line);
    } catch {
      bad = true;
      onBad(line);
      controller.terminate();
      return;
    }
    controller.enqueue(encoder.encode(`${line}\n`));
  };
  return new TransformStream({
    transform(chunk, controller) {
      buffer += decoder.decode(chunk, { stream: true });
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) pass(line, controller);
    },
    flush(controller) {
      pass(buffer + decoder.decode(), controller);
    },
  });
}

/** 'llama3.2' and 'llama3.2:latest' are the same model. */
function sameModel(a: string, b: string): boolean {
  const full = (n: string) => (n.includes(':') ? n : `${n}:latest`);
  return full(a) === full(b);
}

/**
 * Maps what ollama-js and fetch throw (§2.3) onto our typed errors: an aborted signal is a timeout,
 * a status code is an HTTP error, anything else a network failure described by `what`.
 */
function toInferenceError(err: unknown, signal: AbortSignal | undefined, what: string): Error {
  if (
    err instanceof InferenceHttpError ||
    err instanceof InferenceNetworkError ||
    err instanceof InferenceTimeoutError
  ) {
    return err;
  }
  if (signal?.aborted) {
    const reason = signal.reason as { name?: string; message?: string } | undefined;
    const timedOut = reason?.name === 'TimeoutError';
    return new InferenceTimeoutError(
      timedOut ? 'generation timed out' : `generation aborted (${reason?.message})`,
      {
        cause: err,
      },
    );
  }
  const status = (err as { status_code?: unknown }).status_code;
  if (typeof status === 'number') {
    return new InferenceHttpError(status, (err as Error).message, { cause: err });
  }
  return new InferenceNetworkError(`${what}: ${describe(err)}`, { cause: err });
}

/** The most specific reason in an error chain: a socket code (ECONNREFUSED) or a message. */
function describe(err: unknown): string {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && e instanceof Error; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    if (!(e.cause instanceof Error)) return e.message;
    e = e.cause;
  }
  return String(err);
}
