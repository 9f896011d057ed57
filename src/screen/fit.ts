// The screen fitter: turns model output and menu text into what a 182-septet GSM-7 screen can
// show. Pure functions, no I/O (issue 4, "Screen fitting"). Cuts fall on a sentence or word
// boundary; paging loses no text.
import { septets, toGsm } from './gsm7.ts';

/** Septets on one USSD screen after the CON/END prefix (GSM 04.80: 160 octets = 182 septets). */
export const SCREEN_SEPTETS = 182;
const ELLIPSIS = '...';

/** Removes the markdown a chat model likes to emit; list items become plain sentences. */
export function stripMarkdown(text: string): string {
  return text
    .replace(/```[a-z]*\n?/gi, '')
    .replace(/`([^`]*)`/g, '$1')
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .replace(/(\*\*|__)(.+?)\1/g, '$2')
    .replace(/(^|[\s(])[*_]([^*_\s][^*_]*?)[*_](?=[\s).,;:!?]|$)/gm, '$1$2')
    .replace(/^\s{0,3}#{1,6}\s+/gm, '')
    .replace(/^\s*>\s?/gm, '')
    .replace(/^\s*(?:[-*+\u2022]|\d{1,2}[.)])\s+/gm, '')
    .replace(/^\s*[-*_]{3,}\s*$/gm, '')
    .replace(/\*{1,3}/g, '');
}

/** Collapses every run of whitespace, newlines included, into one space. */
export function collapseWhitespace(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * Model output → one clean GSM-7 paragraph: markdown stripped, lines joined as sentences,
 * punctuation and accents mapped, emoji dropped, whitespace collapsed.
 */
export function cleanAnswer(raw: string): string {
  const lines = stripMarkdown(raw)
    .split(/\n+/)
    .map((l) => collapseWhitespace(withoutDropped(toGsm(l, DROPPED))))
    .filter(Boolean);
  // A line break between two list items or a heading and its text is a sentence break.
  return lines.map((l, i) => (i < lines.length - 1 && !/[.!?:;,]$/.test(l) ? `${l}.` : l)).join(' ');
}

/** Marks what toGsm drops (NUL is never kept: it is not GSM-7). */
const DROPPED = '\u0000';

/**
 * Removes the marks of dropped characters with the space that came with them: "fever 🤒." is
 * "fever.", not "fever ." (issue 16), and "rest 😴 and drink" keeps one space.
 */
function withoutDropped(text: string): string {
  if (!text.includes(DROPPED)) return text;
  return text.replace(/\s*\u0000[\s\u0000]*(?=[.,;:!?)]|$)/g, '').replace(/\s*\u0000[\s\u0000]*/g, ' ');
}

const CLEAN_CACHE_SIZE = 1024;
const CLEAN_CACHE_MAX_LENGTH = 400;
const cleaned = new Map<string, string>();

/** Menu text → screen text: GSM-7, each line trimmed, blank edges removed (AT demos leak indents). */
export function cleanScreen(text: string): string {
  // Menu screens repeat hop after hop (several cleanScreen calls each): ~3 % of a hop's CPU in the
  // issue 7 profile, now one Map lookup. Bounded: short texts only, cleared whole when full.
  const hit = cleaned.get(text);
  if (hit !== undefined) return hit;
  const result = toGsm(text)
    .split('\n')
    .map((l) => l.replace(/ {2,}/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  if (text.length <= CLEAN_CACHE_MAX_LENGTH) {
    if (cleaned.size >= CLEAN_CACHE_SIZE) cleaned.clear();
    cleaned.set(text, result);
  }
  return result;
}

/**
 * Shortens `text` to at most `max` septets. Prefers the last sentence end that keeps most of the
 * budget, else the last word boundary, and marks a cut with "...".
 */
export function fitText(text: string, max: number): string {
  if (septets(text) <= max) return text;
  if (max <= ELLIPSIS.length) return takeSeptets(text, max);
  const head = takeSeptets(text, max - ELLIPSIS.length);
  const sentenceEnd = lastSentenceEnd(head, text[head.length]);
  if (sentenceEnd >= head.length * 0.6) return head.slice(0, sentenceEnd).trimEnd();
  return cutAtWord(head, text[head.length]) + ELLIPSIS;
}

/**
 * Splits `text` into pages of at most `budget` septets each. Concatenating the pages with single
 * spaces gives back the (whitespace-collapsed) text: nothing is lost. A page ends at a sentence
 * end, else a clause, else between words where no phrase is split (pageCut); then, unless
 * `balance` is off, the last two pages are evened out when the last is a stub (issue 16).
 *
 * Without balancing, the pages of a text are the pages of any longer text that starts with it,
 * but for its last page: an answer still being written shows those (engine/render.ts). Balancing
 * only moves the last cut back, so a page shown before the end overlaps the next one, never skips.
 */
export function paginate(text: string, budget: number, balance = true): string[] {
  // Below 2 an extension character (2 septets) could never be placed: the loop would not advance.
  if (budget < 2) throw new RangeError('page budget must be at least 2 septets');
  const pages: string[] = [];
  let rest = collapseWhitespace(text);
  while (rest.length > 0) {
    if (septets(rest) <= budget) {
      pages.push(rest);
      break;
    }
    const cut = pageCut(rest, budget);
    pages.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  return balance ? balanceLast(pages, budget) : pages;
}

/** A last page shorter than this share of a page is a stub: it takes words from the one before. */
const STUB_SHARE = 0.5;

/** Where the page at the head of `rest` ends (an index into `rest`); `rest` is over budget. */
function pageCut(rest: string, budget: number): number {
  const head = takeSeptets(rest, budget);
  const next = rest[head.length];
  const sentence = lastSentenceEnd(head, next);
  if (sentence >= head.length * 0.5) return sentence;
  const clause = lastClauseEnd(rest, head.length);
  if (clause >= head.length * 0.6) return clause;
  // Between words: late, and before a phrase rather than inside one ("half a | level teaspoon").
  let best = -1;
  let bestScore = Number.NEGATIVE_INFINITY;
  const words = [...head.matchAll(/ /g)].map((m) => m.index);
  if (next === ' ') words.push(head.length);
  for (const at of words) {
    if (at < head.length * 0.5) continue;
    const score = at / head.length + phraseScore(head.slice(0, at), rest.slice(at + 1));
    if (score >= bestScore) {
      best = at;
      bestScore = score;
    }
  }
  if (best > 0) return best;
  const space = head.lastIndexOf(' ');
  return space > 0 ? space : head.length; // a 200-letter "word" still pages
}

/** Evens out the last two pages when the last is a stub ("or is very weak."). */
function balanceLast(pages: string[], budget: number): string[] {
  const last = pages.at(-1);
  const before = pages.at(-2);
  if (last === undefined || before === undefined || septets(last) >= budget * STUB_SHARE) return pages;
  const joined = `${before} ${last}`;
  const total = septets(joined);
  let best: { at: number; cost: number } | null = null;
  let used = 0;
  for (let i = 0; i < joined.length; i++) {
    const ch = joined[i] as string;
    if (ch === ' ' && used <= budget && total - used - 1 <= budget && used > septets(last)) {
      const head = joined.slice(0, i);
      const clause = /[,;:]$/.test(head) || CONJUNCTIONS.has(/^\S*/.exec(joined.slice(i + 1))?.[0] ?? '');
      const kind = /[.!?]$/.test(head) ? 0 : clause ? 0.08 : 0.2;
      const cost = Math.abs(2 * used + 1 - total) / total + kind + (SHORT_WORD.test(head) ? 0.5 : 0);
      if (best === null || cost < best.cost) best = { at: i, cost };
    }
    used += septets(ch);
  }
  if (best === null) return pages;
  return [...pages.slice(0, -2), joined.slice(0, best.at), joined.slice(best.at + 1)];
}

/** A short word (a, of, and, 6, na, ya): it belongs with the word after it. */
const SHORT_WORD = /(?:^|\s)([A-Za-z0-9']{1,3})$/;

/**
 * How well a cut between `before` and `after` keeps phrases whole: a page should not end on a
 * short word ("half a", "with 6"), and best begins with one ("of salt").
 */
function phraseScore(before: string, after: string): number {
  let score = 0;
  if (SHORT_WORD.test(before)) score -= 1;
  if (/^[A-Za-z0-9']{1,3}(?:\s|$)/.test(after)) score += 0.3;
  return score;
}

/**
 * Words that open a clause, in the journey's languages (English, Swahili): a page may end before
 * one as after a comma ("...teaspoons of sugar | and half a level teaspoon of salt.").
 */
const CONJUNCTIONS = new Set(
  'and or but so then if when because while until unless although na au lakini kisha ili kama ingawa hadi'.split(
    ' ',
  ),
);

/** The longest prefix of `text` costing at most `max` septets (never splits a character). */
export function takeSeptets(text: string, max: number): string {
  let used = 0;
  let end = 0;
  for (const ch of text) {
    const cost = septets(ch);
    if (used + cost > max) break;
    used += cost;
    end += ch.length;
  }
  return text.slice(0, end);
}

/**
 * Index just after the last sentence end in `text`, a prefix of a longer string whose next
 * character is `next`. A stop at the very end of the prefix counts only when the full string
 * breaks there too: "Take 2.5 mg" must not be cut to "Take 2.".
 */
function lastSentenceEnd(text: string, next: string | undefined): number {
  let best = -1;
  for (const m of text.matchAll(/[.!?](?=\s|$)/g)) {
    const atEnd = m.index + 1 === text.length;
    if (!atEnd || next === undefined || /\s/.test(next)) best = m.index + 1;
  }
  return best;
}

/**
 * Index of the last clause end at or before `end` in `text`: just after a comma, semicolon or
 * colon followed by a space, or at the space before a conjunction.
 */
function lastClauseEnd(text: string, end: number): number {
  let best = -1;
  for (const m of text.matchAll(/[,;:](?= )| (?=(\S+))/g)) {
    const at = m[0] === ' ' ? m.index : m.index + 1;
    if (at > end) break;
    if (m[0] !== ' ' || CONJUNCTIONS.has((m[1] ?? '').toLowerCase())) best = at;
  }
  return best;
}

function cutAtWord(text: string, next: string | undefined): string {
  const space = next === ' ' ? text.length : text.lastIndexOf(' ');
  const cut = space > text.length * 0.5 ? text.slice(0, space) : text;
  return cut.replace(/[\s,;:-]+$/, '');
}
