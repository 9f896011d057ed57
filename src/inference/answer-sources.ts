// What an answer draws on besides the model (issues 4, 18): the FAQ and the answer cache, which
// answer without it, and the knowledge base's passages, which go into its prompt. Shared by the
// hop's ask, the API's query and the queue's worker (answerer.ts wires them).
// It must not call the model, touch the queue or record anything in the log.
import type { Knowledge } from '../knowledge/types.ts';
import type { Logger } from '../logger.ts';
import type { Lang } from '../types.ts';
import type { AnswerCache } from './cache.ts';
import { buildMessages, type PromptShape } from './prompt.ts';
import { sleep } from './race.ts';
import type { Faq } from './types.ts';

/** A cache read slower than this is a miss: the hop deadline matters more than the cache. */
export const CACHE_READ_MS = 300;

export interface AnswerSourcesDeps {
  faq: Faq;
  cache: AnswerCache;
  knowledge: Knowledge | undefined;
  logger: Logger;
  promptShape: PromptShape | undefined;
}

export function createAnswerSources({ faq, cache, knowledge, logger, promptShape }: AnswerSourcesDeps) {
  /** A question's messages with its passages (and their ids for the log; null: base not asked). */
  function promptFor(question: string, lang: Lang, context?: string) {
    let notes: { id: string; heading: string; text: string }[] = [];
    let passages: string[] | null = null;
    if (knowledge) {
      try {
        notes = knowledge.retrieve(question, lang).passages;
        passages = notes.map((n) => n.id);
      } catch (err) {
        logger.warn({ err }, '[inference] knowledge lookup failed; asking without');
      }
    }
    return { messages: buildMessages(question, lang, context, notes, promptShape), passages };
  }
  /** Cached answers are keyed by the knowledge base's version too: new passages, new answers. */
  const cacheLang = (lang: Lang) => (knowledge ? `${lang}:${knowledge.version}` : lang);

  /** FAQ, then cache: an answer without the model, or null. */
  async function known(
    question: string,
    lang: Lang,
    waitMs: number,
    context?: string,
  ): Promise<{ text: string; source: 'faq' | 'cache' } | null> {
    if (context) return null; // an answer depends on its context: neither FAQ nor cache applies
    const fromFaq = faq.match(question, lang);
    if (fromFaq !== null) return { text: fromFaq, source: 'faq' };
    const wait = Math.max(0, Math.min(CACHE_READ_MS, waitMs));
    const fromCache = await Promise.race([cache.get(question, cacheLang(lang)), sleep(wait, null)]);
    return fromCache ? { text: fromCache, source: 'cache' } : null;
  }

  return { promptFor, cacheLang, known };
}

export type AnswerSources = ReturnType<typeof createAnswerSources>;
