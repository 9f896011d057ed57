// A fake Ollama server speaking the real HTTP API on loopback (shared/research/inference.md §1.11),
// with knobs for latency, hangs, broken streams and HTTP errors. Used by the unit tests, the fault
// tests and `npm run bench`, so it imports nothing from vitest and runs standalone:
//   tsx test/helpers/fake-ollama.ts --port 11434 --first-token-ms 400 --tokens-per-s 30
//   tsx test/helpers/fake-ollama.ts --port 11500 --answer-mode grounded --prefill-ms-per-token 2  (npm run eval)
// It must not pretend to be smarter than Ollama: no tokenizer, words are tokens.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { commonPrefix, groundedAnswer, rendering } from './fake-model.ts';

export interface FakeRequest {
  method: string;
  path: string;
  /** Parsed JSON body, the raw text when it is not JSON, or null when empty. */
  body: unknown;
  at: number;
  /** Set when the response ended (or the socket closed). */
  closedAt: number | null;
  /** The client went away before the response was complete: the request was cancelled. */
  closedEarly: boolean;
  /** Resolves once the response has ended or the socket closed. */
  settled: Promise<void>;
}

export interface FakeKnobs {
  /** Models `/api/tags` lists and chat/generate accept. */
  models: string[];
  /** The answer text, or a function of the request (its last user message or prompt). */
  answer: string | ((req: { model: string; prompt: string; body: Record<string, unknown> }) => string);
  /** Text the final done chunk carries (Ollama may put a last piece there). */
  finalText: string;
  /** Delay before the headers and the first token (load, queue, prefill). */
  firstTokenMs: number;
  /** Gap between tokens. */
  tokenMs: number;
  /** Never send anything: headers withheld until the client gives up. */
  hangBeforeFirstToken: boolean;
  /** After this many tokens, stop sending but keep the connection open. */
  hangAfterTokens: number | null;
  /** After this many tokens, end the response without a done chunk. */
  closeAfterTokens: number | null;
  /** After this many tokens, send `{"error": …}` and end (Ollama's in-stream error). */
  errorAfterTokens: number | null;
  /** After this many tokens, send bytes that are not JSON, then end without done. */
  garbageAfterTokens: number | null;
  /** After this many tokens, send one line that is not JSON (NUL bytes), then go on to done. */
  corruptLineAfterTokens: number | null;
  /** Instead of the answer: this many chunks of `chars` characters each, as fast as it can. */
  flood: { chunks: number; chars: number } | null;
  /** Answer chat/generate with this HTTP status and Ollama's body for it. */
  status: number | null;
  /** Delay when the runner options (num_ctx …) change, as Ollama reloads the model. */
  reloadMs: number;
  /**
   * Prefill time per prompt token not in the prompt cache. The cache is Ollama's: the prompt as its
   * template renders it (every system message first: template.go collate()), whose common prefix
   * with the previous prompt is not evaluated again (shared/research/inference.md §1.9).
   */
  prefillMsPerToken: number;
}

export interface FakeOllama {
  url: string;
  port: number;
  requests: FakeRequest[];
  /** Model (re)loads caused by changed runner options. */
  loads(): number;
  set(knobs: Partial<FakeKnobs>): void;
  /**
   * Generations (those started and those to come) wait before their first token until the function
   * returned is called: a test can act while answers are surely under way and none is done.
   */
  hold(): () => void;
  /** Requests to chat or generate only. */
  generations(): FakeRequest[];
  /** The chat messages of each generation, in order. */
  prompts(): { role: string; content: string }[][];
  /** Of each generation, the prompt tokens the cache did not hold (see prefillMsPerToken). */
  uncachedTokens: number[];
  close(): Promise<void>;
}

export const DEFAULT_KNOBS: FakeKnobs = {
  models: ['llama3.2:3b'],
  answer: 'Malaria is spread by mosquitoes. Sleep under a treated net.',
  finalText: '',
  firstTokenMs: 0,
  tokenMs: 0,
  hangBeforeFirstToken: false,
  hangAfterTokens: null,
  closeAfterTokens: null,
  errorAfterTokens: null,
  garbageAfterTokens: null,
  corruptLineAfterTokens: null,
  flood: null,
  status: null,
  reloadMs: 0,
  prefillMsPerToken: 0,
};

const ERROR_BODIES: Record<number, string> = {
  500: 'llama runner process has terminated: signal: killed',
  503: 'server busy, please try again.  maximum pending requests exceeded',
};
const RUNNER_OPTIONS = ['num_ctx', 'num_batch', 'num_gpu', 'num_thread', 'use_mmap', 'main_gpu'];

export async function startFakeOllama(
  opts: Partial<FakeKnobs> & { port?: number; host?: string } = {},
): Promise<FakeOllama> {
  const { port: wantedPort = 0, host = '127.0.0.1', ...initial } = opts;
  let knobs: FakeKnobs = { ...DEFAULT_KNOBS, ...initial };
  const requests: FakeRequest[] = [];
  let loaded: string | null = null;
  let loads = 0;
  let cachedPrompt = '';
  const uncachedTokens: number[] = [];
  let held: Promise<void> | null = null;

  const server = createServer((req, res) => {
    void handle(req, res).catch(() => res.destroy());
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const record = track(req.method ?? 'GET', path, raw, res);
    requests.push(record);
    const method = req.method ?? 'GET';

    if ((method === 'GET' || method === 'HEAD') && path === '/') return text(res, 200, 'Ollama is running');
    if (method === 'GET' || method === 'HEAD') {
      if (path === '/api/version') return json(res, 200, { version: '0.12.6' });
      if (path === '/api/tags') return json(res, 200, { models: knobs.models.map(modelEntry) });
      if (path === '/api/ps') {
        const models =
          loaded === null ? [] : [{ ...modelEntry(loaded.split('|')[0] ?? ''), expires_at: FOREVER }];
        return json(res, 200, { models });
      }
    }
    if (method === 'POST' && (path === '/api/chat' || path === '/api/generate')) {
      return generate(path === '/api/chat' ? 'chat' : 'generate', raw, res, record);
    }
    return text(res, 404, '404 page not found');
  }

  async function generate(
    kind: 'chat' | 'generate',
    raw: string,
    res: ServerResponse,
    record: FakeRequest,
  ): Promise<void> {
    const gone = () => record.closedAt !== null;
    if (raw.trim() === '') return json(res, 400, { error: 'missing request body' });
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw) as Record<string, unknown>;
    } catch (err) {
      return json(res, 400, { error: (err as Error).message });
    }
    const model = typeof body['model'] === 'string' ? body['model'] : '';
    if (model === '') return json(res, 400, { error: 'model is required' });
    if (!hasModel(knobs.models, model)) return json(res, 404, { error: `model '${model}' not found` });
    const k = knobs; // a request keeps the knobs it started with
    if (k.hangBeforeFirstToken) return; // nothing is written until the client goes away
    if (k.status !== null) return json(res, k.status, { error: ERROR_BODIES[k.status] ?? 'internal error' });
    const options = (body['options'] ?? {}) as Record<string, unknown>;
    const signature = `${model}|${JSON.stringify(RUNNER_OPTIONS.map((o) => options[o] ?? null))}`;
    const reloading = loaded !== signature;
    if (reloading) {
      loaded = signature;
      loads += 1;
    }
    const prompt = promptOf(kind, body);
    let prefillMs = 0;
    if (prompt !== null) {
      const rendered = rendering(kind, body);
      const fresh = Math.ceil((rendered.length - commonPrefix(rendered, reloading ? '' : cachedPrompt)) / 4);
      cachedPrompt = rendered;
      uncachedTokens.push(fresh);
      prefillMs = fresh * k.prefillMsPerToken;
    }
    await sleep((reloading ? k.reloadMs : 0) + k.firstTokenMs + prefillMs);
    if (gone()) return;

    const base = { model, created_at: '' };
    const piece = (t: string) =>
      kind === 'chat' ? { message: { role: 'assistant', content: t } } : { response: t };
    if (prompt === null) {
      const reason = body['keep_alive'] === 0 ? 'unload' : 'load';
      return json(res, 200, { ...base, created_at: now(), ...piece(''), done: true, done_reason: reason });
    }
    if (held) {
      await held;
      if (gone()) return;
    }

    const answer = typeof k.answer === 'function' ? k.answer({ model, prompt, body }) : k.answer;
    const { tokens, reason } = plan(answer, options);
    const started = process.hrtime.bigint();
    const final = (done: boolean) => ({
      ...base,
      created_at: now(),
      ...piece(k.finalText),
      done,
      done_reason: reason,
      total_duration: Number(process.hrtime.bigint() - started) + ns(k.firstTokenMs),
      load_duration: ns(reloading ? k.reloadMs : 0),
      prompt_eval_count: Math.max(1, Math.ceil(prompt.length / 4)),
      prompt_eval_duration: ns(k.firstTokenMs + prefillMs),
      eval_count: tokens.length + (k.finalText === '' ? 0 : 1),
      eval_duration: Math.max(1, ns(tokens.length * k.tokenMs)),
    });

    if (body['stream'] === false) {
      await sleep(tokens.length * k.tokenMs);
      if (gone()) return;
      const whole = final(true);
      return json(res, 200, { ...whole, ...piece(tokens.join('') + k.finalText) });
    }

    res.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
    if (k.flood) {
      // A hostile stream: far more text than num_predict allows, written as fast as it goes.
      const chunk = `${JSON.stringify({ ...base, created_at: now(), ...piece('lorem ipsum '.repeat(Math.ceil(k.flood.chars / 12)).slice(0, k.flood.chars)), done: false })}\n`;
      for (let i = 0; i < k.flood.chunks && !gone(); i++) {
        if (!res.write(chunk)) await new Promise((r) => res.once('drain', r));
      }
      return void res.end(`${JSON.stringify(final(true))}\n`);
    }
    for (let i = 0; i <= tokens.length; i++) {
      if (gone()) return;
      if (i === k.hangAfterTokens) return; // headers and some tokens sent, then silence
      if (i === k.closeAfterTokens) return void res.end();
      if (i === k.errorAfterTokens) {
        return void res.end(
          `${JSON.stringify({ error: 'an error was encountered while running the model' })}\n`,
        );
      }
      if (i === k.garbageAfterTokens)
        return void res.end(Buffer.from([0x00, 0xff, 0x7b, 0x22, 0x0a, 0x9c, 0x0a]));
      if (i === k.corruptLineAfterTokens) res.write(Buffer.from('\u0000\u0000not json at all\n'));
      if (i === tokens.length) break;
      if (i > 0) await sleep(k.tokenMs);
      if (gone()) return;
      res.write(
        `${JSON.stringify({ ...base, created_at: now(), ...piece(tokens[i] ?? ''), done: false })}\n`,
      );
    }
    res.end(`${JSON.stringify(final(true))}\n`);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(wantedPort, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://${host}:${port}`,
    port,
    requests,
    loads: () => loads,
    set(next) {
      knobs = { ...knobs, ...next };
    },
    hold() {
      let release = () => {};
      held = new Promise<void>((resolve) => {
        release = () => {
          held = null;
          resolve();
        };
      });
      return release;
    },
    generations: () => requests.filter((r) => r.path === '/api/chat' || r.path === '/api/generate'),
    prompts: () =>
      requests
        .filter((r) => r.path === '/api/chat')
        .map((r) => (r.body as { messages?: { role: string; content: string }[] } | null)?.messages ?? []),
    uncachedTokens,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // hanging responses would keep close() waiting forever
      }),
  };
}

/** Splits the answer into word tokens, honouring `stop` (not emitted) and `num_predict`. */
export function plan(answer: string, options: Record<string, unknown>): { tokens: string[]; reason: string } {
  let text = answer;
  const stops = Array.isArray(options['stop']) ? options['stop'].filter((s) => typeof s === 'string') : [];
  for (const stop of stops) {
    const at = stop === '' ? -1 : text.indexOf(stop);
    if (at >= 0) text = text.slice(0, at);
  }
  const tokens = text.match(/\s*\S+|\s+$/g) ?? [];
  const cap = typeof options['num_predict'] === 'number' ? options['num_predict'] : -1;
  if (cap >= 0 && tokens.length > cap) return { tokens: tokens.slice(0, cap), reason: 'length' };
  return { tokens, reason: 'stop' };
}

const FOREVER = '2318-01-01T00:00:00Z';

function modelEntry(name: string) {
  const full = name.includes(':') ? name : `${name}:latest`;
  return {
    name: full,
    model: full,
    modified_at: '2025-05-04T17:37:44.706015396-07:00',
    size: 2019393189,
    digest: 'a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72',
    details: {
      parent_model: '',
      format: 'gguf',
      family: 'llama',
      families: ['llama'],
      parameter_size: '3.2B',
      quantization_level: 'Q4_K_M',
    },
  };
}

function hasModel(models: string[], name: string): boolean {
  const full = (n: string) => (n.includes(':') ? n : `${n}:latest`);
  return models.some((m) => full(m) === full(name));
}

/** The text the model would answer, or null for a load-only call (empty prompt or no messages). */
function promptOf(kind: 'chat' | 'generate', body: Record<string, unknown>): string | null {
  if (kind === 'generate') {
    const p = typeof body['prompt'] === 'string' ? body['prompt'] : '';
    return p === '' ? null : p;
  }
  const messages = Array.isArray(body['messages'])
    ? (body['messages'] as { role?: string; content?: string }[])
    : [];
  if (messages.length === 0) return null;
  return messages.map((m) => m.content ?? '').join('\n');
}

function track(method: string, path: string, raw: string, res: ServerResponse): FakeRequest {
  let body: unknown = null;
  if (raw !== '') {
    try {
      body = JSON.parse(raw);
    } catch {
      body = raw;
    }
  }
  let settle = () => {};
  const record: FakeRequest = {
    method,
    path,
    body,
    at: Date.now(),
    closedAt: null,
    closedEarly: false,
    settled: new Promise<void>((resolve) => {
      settle = resolve;
    }),
  };
  res.on('close', () => {
    record.closedAt = Date.now();
    record.closedEarly = !res.writableFinished;
    settle();
  });
  return record;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(body);
}

/** Ollama reports durations as whole nanoseconds. */
function ns(ms: number): number {
  return Math.round(ms * 1e6);
}

function now(): string {
  return new Date().toISOString();
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '11434' },
      model: { type: 'string', multiple: true },
      'first-token-ms': { type: 'string', default: '0' },
      'tokens-per-s': { type: 'string', default: '0' },
      answer: { type: 'string' },
      'answer-mode': { type: 'string' },
      'prefill-ms-per-token': { type: 'string', default: '0' },
    },
  });
  const tokensPerS = Number(values['tokens-per-s']);
  const fake = await startFakeOllama({
    port: Number(values.port),
    firstTokenMs: Number(values['first-token-ms']),
    tokenMs: tokensPerS > 0 ? 1000 / tokensPerS : 0,
    ...(values.model ? { models: values.model } : {}),
    ...(values.answer ? { answer: values.answer } : {}),
    ...(values['answer-mode'] === 'grounded' ? { answer: groundedAnswer } : {}),
    prefillMsPerToken: Number(values['prefill-ms-per-token']),
  });
  process.stdout.write(`fake ollama listening on ${fake.url}\n`);
  const stop = () => void fake.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`${String(err)}\n`);
    process.exit(1);
  });
}
