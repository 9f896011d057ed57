// The answer cache: repeated questions answer instantly without touching the model (issue 4).
// Questions are compared as normalised text, per language. The store is the session store's small
// shared cache, so every replica sees the same answers. A cache that fails is a miss, never an
// error: it must not stop a question from being answered.
import { createHash } from 'node:crypto';
import type { Logger } from '../logger.ts';
import type { SessionStore } from '../session/types.ts';
import type { Lang } from '../types.ts';

export type AnswerCacheStore = Pick<SessionStore, 'getCached' | 'setCached'>;

/** Lowercase, no diacritics, no punctuation, single spaces: "Is it FREE?!" → "is it free". */
export function normalizeQuestion(question: string): string {
  return question
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** Long questions are hashed so keys stay short; short ones stay readable for operators. */
export function cacheKey(question: string, lang: Lang): string {
  const norm = normalizeQuestion(question);
  const id = norm.length <= 120 ? norm : createHash('sha256').update(norm).digest('hex');
  return `answer:${lang}:${id}`;
}

export interface AnswerCache {
  get(question: string, lang: Lang): Promise<string | null>;
  set(question: string, lang: Lang, answer: string): Promise<void>;
}

export function createAnswerCache(store: AnswerCacheStore, ttlSeconds: number, logger: Logger): AnswerCache {
  return {
    async get(question, lang) {
      if (ttlSeconds <= 0 || normalizeQuestion(question) === '') return null;
      try {
        return await store.getCached(cacheKey(question, lang));
      } catch (err) {
        logger.warn({ err }, '[inference] answer cache read failed; asking the model');
        return null;
      }
    },
    async set(question, lang, answer) {
      if (ttlSeconds <= 0 || normalizeQuestion(question) === '' || answer === '') return;
      try {
        await store.setCached(cacheKey(question, lang), answer, ttlSeconds);
      } catch (err) {
        logger.warn({ err }, '[inference] answer cache write failed');
      }
    },
  };
}
