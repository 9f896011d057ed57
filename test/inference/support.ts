// Small test doubles for the answerer's neighbours that are not under test here: a Map-backed
// cache with the session store's cache shape, and an interaction log that only records rows.
// The model side is never faked in-process: tests use the fake Ollama HTTP server.

import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { type AnswererDeps, type AnswererOptions, createAnswerer } from '../../src/inference/answerer.ts';
import { createFaq, type FaqEntry } from '../../src/inference/faq.ts';
import { createOllamaModel } from '../../src/inference/ollama.ts';
import type { Answerer } from '../../src/inference/types.ts';
import type { InteractionLog, QuestionRow } from '../../src/log/types.ts';
import { silentLogger } from '../../src/logger.ts';
import type { AnswerProgress } from '../../src/types.ts';

export const MODEL = 'llama3.2:3b';

export function mapCache() {
  const map = new Map<string, string>();
  return {
    map,
    reads: 0,
    async getCached(key: string) {
      this.reads += 1;
      return map.get(key) ?? null;
    },
    async setCached(key: string, value: string, _ttl: number) {
      map.set(key, value);
    },
  };
}

export function recordingLog(): InteractionLog & { questions: QuestionRow[] } {
  const questions: QuestionRow[] = [];
  return {
    questions,
    recordHop() {},
    recordQuestion(row) {
      questions.push(row);
    },
    recordSessionEnd() {},
    recordFeedback() {},
    recordTier() {},
    recordDelivery() {},
    recordSms() {},
    recordSmsReport() {},
    status: () => ({ ok: true, queued: 0, failures: 0, written: questions.length }),
    flush: async () => {},
    close: async () => {},
  };
}

/** A pino-shaped logger that keeps error/warn messages, for "the operator is told" assertions. */
export function capturingLogger() {
  const lines: { level: string; obj: unknown; msg: string }[] = [];
  const base = silentLogger();
  const capture = (level: string) => (obj: unknown, msg?: string) => {
    lines.push({ level, obj, msg: msg ?? (typeof obj === 'string' ? obj : '') });
  };
  const logger = Object.assign(Object.create(base) as typeof base, {
    error: capture('error'),
    warn: capture('warn'),
  });
  return { logger, lines };
}

export const TEST_FAQ: FaqEntry[] = [
  {
    q: { en: ['is it free', 'is this free'], sw: ['ni bure'] },
    a: { en: 'Your daily questions are free.', sw: 'Maswali yako ya kila siku ni bure.' },
  },
];

export const FAST: AnswererOptions = {
  maxConcurrent: 2,
  numPredict: 150,
  cacheTtlSeconds: 3600,
  answerTimeoutMs: 3000,
  stallTimeoutMs: 1500,
  progressIntervalMs: 50,
};

export function buildAnswerer(
  url: string,
  overrides: Partial<Omit<AnswererDeps, 'options'>> & { options?: Partial<AnswererOptions> } = {},
) {
  const cache = mapCache();
  const log = recordingLog();
  const { options, ...rest } = overrides;
  const answerer: Answerer = createAnswerer({
    model: createOllamaModel({ host: url, model: MODEL, numCtx: 2048 }),
    cache,
    log,
    faq: createFaq(TEST_FAQ),
    logger: silentLogger(),
    ...rest,
    options: { ...FAST, ...options },
  });
  return { answerer, cache, log };
}

/** An ask request with a deadline `ms` from now, collecting every onProgress call. */
export function askFor(
  question: string,
  ms: number,
  extra: { lang?: string; pageSeptets?: number; id?: string; phoneHash?: string } = {},
) {
  const updates: AnswerProgress[] = [];
  const req = {
    sessionId: 'ATUid_test',
    // A phone of its own: one phone has one pending question at a time (issue 13).
    phoneHash: extra.phoneHash ?? `hash-${Math.random().toString(36).slice(2)}`,
    questionId: extra.id ?? `q-${Math.random().toString(36).slice(2)}`,
    question,
    lang: extra.lang ?? 'en',
    deadline: Date.now() + ms,
    pageSeptets: extra.pageSeptets ?? 160,
    onProgress: (p: AnswerProgress) => updates.push(p),
  };
  return { req, updates, last: () => updates.at(-1) };
}

/** Resolves once `check` holds, polling; fails after `ms`. */
export async function until(check: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A loopback port nothing listens on: connecting to it is refused. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
