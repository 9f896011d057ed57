// Words of a question as the index sees them, and token estimates for the prompt budget. Pure.
// Terms are only letters and digits, so a question can never inject FTS5 query syntax
// (https://sqlite.org/fts5.html §3: a quoted string is one phrase, "" its only escape).
import type { Lang } from '../types.ts';

/**
 * Function words and request phrases in English and Swahili (the launch languages). They would
 * match nearly every passage and say nothing about the topic, so they neither retrieve nor weigh.
 */
const STOPWORDS = new Set(
  `a about after all also am an and any anything are as at be because been before being best both but
  by can cannot could did didn do does doesn doing don done for from get gets getting got had has have he
  having hello help her here hi him his how i if in into is isn it its just know let like many me mine more most
  much must my myself need no not now of off on or our ourselves out over please right she should so some someone
  something tell than thank thanks that the their them then there these they thing things this those to
  too up us very want was way we well were what when where which while who whom why will with won would
  you your yours yourself themselves himself herself pls plz pliz thx ur hw wat wht

  afanye ana ama au baada bado bila cha chako changu chake gani habari hadi hapa hapana hii hiyo hizi hizo huu ile
  ili je jinsi juu kabla kama katika kila kisha kuhusu kuna kutoka kwa kwamba kwenye la lako lake langu
  lakini leo lini mbona mimi mpaka na namna naomba nataka naweza ndani ndio ndiyo nifanye ninaweza nini
  nje nyinyi pale pia sana sasa si sio siyo sisi tafadhali tu unaweza vipi vya wa wake wako wangu wao
  wapi wewe ya yako yake yangu yeye za zake zako zangu ipi kipi lipi upi yupi zipi nina una yana kina
  zina lina wana tuna mna tufanye ufanye wafanye yenye wenye chenye zenye lenye vyenye`.split(/\s+/),
);

/** The longest question uses at most this many terms: one more query each, and more is noise. */
export const MAX_TERMS = 16;

/** Lowercase, accents removed, every run of other characters one space: "Homa YA mtoto?" → "homa ya mtoto". */
export function normalizeText(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** The distinct content words of a question, in order: no stopwords, no one-letter words. */
export function queryTerms(question: string): string[] {
  const words = normalizeText(question).split(' ');
  const terms = [...new Set(words.filter((w) => w.length >= 2 && !STOPWORDS.has(w)))];
  return terms.slice(0, MAX_TERMS);
}

/**
 * Tokens of `text` for Llama 3's tokenizer, rounded up: English 4.58 and Swahili 2.68 characters per
 * token measured (shared/research/inference.md §3.3), taken as 4 and 2.5 so the budget errs short.
 */
export function estimateTokens(text: string, lang: Lang): number {
  return Math.ceil(text.length / (lang === 'en' ? 4 : 2.5));
}
