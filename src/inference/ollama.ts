// The AnswerModel driver for Ollama's native HTTP API (shared/research/inference.md §1), spoken with
// fetch and our own NDJSON reader. Not through the `ollama` npm client: it prints lines it cannot
// parse (NUL bytes included) and error bodies to stdout, where only the logger may write, and skips
// a corrupt line as if nothing happened, so a broken stream read as a whole answer (issue 15 item
// 16). Here a line that is not JSON, or an `{"error"}` line, fails the stream. Every request is bound
// to the caller's AbortSignal: a forgotten stream keeps Ollama's slot busy (§2.4). Runner options
// are the same on every call, or Ollama reloads the model (§1.9). It must not retry, queue or time
// answers: the answer pipeline does that.
import { InferenceHttpError, InferenceNetworkError, InferenceTimeoutError } from '../errors.ts';
import type { AnswerModel, GenerateChunk, GenerateRequest, ModelHealth } from './types.ts';

export interface OllamaModelOptions {
  /** One OLLAMA_HOST entry, e.g. http://127.0.0.1:11434 */
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
/** A line longer than this is no Ollama chunk: the stream is corrupt (a chunk is one token). */
const MAX_LINE_BYTES = 1_000_000;

interface ChatLine {
  message?: { content?: unknown };
  done?: unknown;
  done_reason?: unknown;
  prompt_eval_count?: unknown;
  eval_count?: unknown;
  error?: unknown;
}

export function createOllamaModel(opts: OllamaModelOptions): AnswerModel {
  const { model, numCtx, keepAlive = -1, temperature = 0.3, checkTimeoutMs = 2000 } = opts;
  const host = opts.host.replace(/\/+$/, '');
  const baseFetch = opts.fetch ?? fetch;
  // Identical on every call, warm-up included: any difference in a runner option is a reload.
  const options = { num_ctx: numCtx, temperature, repeat_penalty: 1.1, stop: STOP };

  async function post(path: string, body: unknown, signal: AbortSignal): Promise<Response> {
    let res: Response;
    try {
      res = await baseFetch(`${host}${path}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/x-ndjson' },
        body: JSON.stringify(body),
        signal,
      });
    } catch (err) {
      throw toInferenceError(err, signal, `unreachable at ${host}`);
    }
    if (!res.ok) throw await httpError(res, signal);
    return res;
  }

  async function* generate(req: GenerateRequest, signal: AbortSignal): AsyncGenerator<GenerateChunk> {
    const ctl = new AbortController();
    const stop = () => ctl.abort(signal.reason);
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
    try {
      const res = await post(
        '/api/chat',
        {
          model,
          messages: req.messages,
          stream: true,
          keep_alive: keepAlive,
          options: { ...options, num_predict: req.numPredict },
        },
        ctl.signal,
      );
      // The response has started: an empty chunk tells the caller Ollama is up, so a later
      // failure is a broken stream, not an unreachable server.
      yield { text: '' };
      for await (const line of ndjsonLines(res, ctl.signal)) {
        const part = parseLine(line);
        const text = typeof part.message?.content === 'string' ? part.message.content : '';
        if (part.done === true) {
          yield {
            text,
            done: {
              reason: typeof part.done_reason === 'string' ? part.done_reason : 'stop',
              tokensIn: count(part.prompt_eval_count),
              tokensOut: count(part.eval_count),
            },
          };
          return;
        }
        if (text !== '') yield { text };
      }
      throw new InferenceNetworkError('stream broke: it ended without a done chunk');
    } catch (err) {
      throw toInferenceError(err, ctl.signal, 'stream broke');
    } finally {
      signal.removeEventListener('abort', stop);
      // Closes the HTTP request whatever happened (a break, an error, the end): Ollama stops
      // decoding and frees the slot as soon as it sees the socket close (§1.9).
      ctl.abort(new DOMException('stream released', 'AbortError'));
    }
  }

  async function getJson(path: string, signal: AbortSignal): Promise<unknown> {
    let res: Response;
    try {
      res = await baseFetch(`${host}${path}`, { signal });
    } catch (err) {
      throw toInferenceError(err, signal, `unreachable at ${host}`);
    }
    if (!res.ok) throw await httpError(res, signal);
    try {
      return await res.json();
    } catch (err) {
      throw toInferenceError(err, signal, `${host}${path} answered something that is not JSON`);
    }
  }

  async function check(): Promise<ModelHealth> {
    const signal = AbortSignal.timeout(checkTimeoutMs);
    let names: string[];
    try {
      names = modelNames(await getJson('/api/tags', signal));
    } catch (err) {
      const e = err as Error;
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
    const loaded = await getJson('/api/ps', signal).then(
      (body) => modelNames(body).some((n) => sameModel(n, model)),
      () => false,
    );
    return { ok: true, detail: loaded ? 'ok' : 'ok (model not loaded yet)' };
  }

  async function warm(): Promise<void> {
    // No deadline: a client that leaves during a load aborts the load (§1.9, §1.10).
    const res = await post(
      '/api/chat',
      { model, messages: [], stream: false, keep_alive: keepAlive, options },
      new AbortController().signal,
    );
    await res.text();
  }

  return { model, host, generate, check, warm };
}

/** The lines of an NDJSON body, decoded as UTF-8. Throws when a line outgrows MAX_LINE_BYTES. */
async function* ndjsonLines(res: Response, signal: AbortSignal): AsyncGenerator<string> {
  if (!res.body) return;
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const bytes of res.body as unknown as AsyncIterable<Uint8Array>) {
    if (signal.aborted) throw signal.reason;
    buffered += decoder.decode(bytes, { stream: true });
    let nl = buffered.indexOf('\n');
    while (nl >= 0) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (line !== '') yield line;
      nl = buffered.indexOf('\n');
    }
    if (buffered.length > MAX_LINE_BYTES) throw new InferenceNetworkError('stream corrupt: a line too long');
  }
  const rest = (buffered + decoder.decode()).trim();
  if (rest !== '') yield rest;
}

/** One chunk; anything but a JSON object is a corrupt stream, an `error` line a failed one. */
function parseLine(line: string): ChatLine {
  let part: unknown;
  try {
    part = JSON.parse(line);
  } catch {
    throw new InferenceNetworkError('stream corrupt: a line that is not JSON');
  }
  if (part === null || typeof part !== 'object' || Array.isArray(part)) {
    throw new InferenceNetworkError('stream corrupt: a line that is not a JSON object');
  }
  const chunk = part as ChatLine;
  if (chunk.error !== undefined) {
    throw new InferenceNetworkError(`stream broke: Ollama said ${JSON.stringify(chunk.error).slice(0, 200)}`);
  }
  return chunk;
}

async function httpError(res: Response, signal: AbortSignal): Promise<Error> {
  let message = res.statusText || 'error';
  try {
    const text = (await res.text()).slice(0, 2000);
    const body = JSON.parse(text) as { error?: unknown };
    if (typeof body.error === 'string') message = body.error;
  } catch (err) {
    if (signal.aborted) return toInferenceError(err, signal, 'request aborted');
  }
  return new InferenceHttpError(res.status, message);
}

function modelNames(body: unknown): string[] {
  const models = (body as { models?: unknown } | null)?.models;
  if (!Array.isArray(models)) return [];
  return models.flatMap((m: { name?: unknown; model?: unknown }) =>
    [m?.name, m?.model].filter((n): n is string => typeof n === 'string'),
  );
}

function count(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

/** 'llama3.2' and 'llama3.2:latest' are the same model. */
function sameModel(a: string, b: string): boolean {
  const full = (n: string) => (n.includes(':') ? n : `${n}:latest`);
  return full(a) === full(b);
}

/**
 * Maps what fetch throws onto our typed errors: an aborted signal is a timeout (or an abort), our
 * own errors pass, anything else is a network failure described by `what`.
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
      { cause: err },
    );
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
