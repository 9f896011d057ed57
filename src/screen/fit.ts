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
    .map((l) => collapseWhitespace(toGsm(l)))
    .filter(Boolean);
  // A line break between two list items or a heading and its text is a sentence break.
  return lines.map((l, i) => (i < lines.length - 1 && !/[.!?:;,]$/.test(l) ? `${l}.` : l)).join(' ');
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
 * spaces gives back the (whitespace-collapsed) text: nothing is lost.
 */
export function paginate(text: string, budget: number): string[] {
  // Below 2 an extension character (2 septets) could never be placed: the loop would not advance.
  if (budget < 2) throw new RangeError('page budget must be at least 2 septets');
  const pages: string[] = [];
  let rest = collapseWhitespace(text);
  while (rest.length > 0) {
    if (septets(rest) <= budget) {
      pages.push(rest);
      break;
    }
    const head = takeSeptets(rest, budget);
    const next = rest[head.length];
    // Fall back on a word boundary, then on a hard cut: a 200-letter "word" still pages.
    const sentenceEnd = lastSentenceEnd(head, next);
    let cut =
      sentenceEnd >= head.length * 0.5 ? sentenceEnd : next === ' ' ? head.length : head.lastIndexOf(' ');
    if (cut <= 0) cut = head.length;
    pages.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  return pages;
}

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

function cutAtWord(text: string, next: string | undefined): string {
  const space = next === ' ' ? text.length : text.lastIndexOf(' ');
  const cut = space > text.length * 0.5 ? text.slice(0, space) : text;
  return cut.replace(/[\s,;:-]+$/, '');
}
