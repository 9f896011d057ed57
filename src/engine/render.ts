// Renders a journey's screens as the phone shows them: text with its placeholders filled, options
// numbered, long menus paged, answer pages with their footer. Pure; used by step() and by the
// boot-time validation that every screen fits 182 septets in every language.
import { cleanScreen, paginate, SCREEN_SEPTETS } from '../screen/fit.ts';
import { septets } from '../screen/gsm7.ts';
import type { Journey, LanguageOption, OfferScreen, Option, Plan, Screen, Text } from './types.ts';

/** Placeholders a screen text may use; anything else in braces is a menu error. */
export const PLACEHOLDERS = [
  'questions_left',
  'quota',
  'price',
  'days',
  'plan',
  'language',
  // The subscription's last day ("2 Jan"), and why the latest payment failed (issue 14).
  'until',
  'reason',
] as const;
/** Placeholders of the engine's own texts (journey.texts) about waiting and SMS (issue 13). */
export const SYSTEM_PLACEHOLDERS = ['minutes', 'question', 'answer'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number] | (typeof SYSTEM_PLACEHOLDERS)[number];
export type Vars = Partial<Record<Placeholder, string>> & Record<`input.${string}`, string>;
/** A question shown on a screen ("You have an answer to: …") is cut to this many characters. */
export const SHOWN_QUESTION_CHARS = 40;

export function t(text: Text, lang: string): string {
  return text[lang] ?? Object.values(text)[0] ?? '';
}

export function fill(template: string, vars: Vars): string {
  return template.replace(
    /\{([a-z_.A-Z0-9]+)\}/g,
    (whole, name: string) => vars[name as Placeholder] ?? whole,
  );
}

/** The options of a menu or language screen that a phone on `plan` is shown (a menu's `showTo`). */
export function optionsOf(screen: Screen, plan: Plan): readonly (Option | LanguageOption)[] {
  if (screen.type === 'language') return screen.options;
  return screen.type === 'menu' ? screen.options.filter((o) => shownTo(o, plan)) : [];
}

export function shownTo(option: Option, plan: Plan): boolean {
  return option.showTo === undefined || option.showTo === plan;
}

/**
 * Splits a screen's options into pages that fit, each page but the last ending with the more
 * line. Page 0 carries the screen text. Returns the rendered pages (without an invalid hint).
 */
export function menuPages(
  journey: Journey,
  screen: Screen,
  lang: string,
  vars: Vars,
  plan: Plan,
): readonly string[] {
  const head = fill(t(screen.text, lang), vars);
  // A menu's pages depend only on its screen, language and filled text: drawn once, not per hop
  // (twice per hop, by step and by render, was ~5 % of a hop's allocations in the issue 7 profile).
  let drawn = pagesDrawn.get(journey);
  if (drawn === undefined) {
    drawn = new Map();
    pagesDrawn.set(journey, drawn);
  }
  const key = `${screen.id}\u0000${lang}\u0000${plan}\u0000${head}`;
  let pages = drawn.get(key);
  if (pages === undefined) {
    pages = drawPages(journey, screen, lang, head, plan);
    if (drawn.size >= MAX_DRAWN_MENUS) drawn.clear();
    drawn.set(key, pages);
  }
  return pages;
}

/** Bounded: a placeholder such as {questions_left} makes one entry per value it takes. */
const MAX_DRAWN_MENUS = 1024;
const pagesDrawn = new WeakMap<Journey, Map<string, readonly string[]>>();

function drawPages(
  journey: Journey,
  screen: Screen,
  lang: string,
  head: string,
  plan: Plan,
): readonly string[] {
  const options = optionsOf(screen, plan);
  const lines = options.map((o) => `${o.key}. ${t(o.label, lang)}`);
  const tail = hasBackLine(journey, screen) ? [t(journey.texts.backLine, lang)] : [];
  const more = t(journey.texts.moreLine, lang);
  const all = [head, ...lines, ...tail].join('\n');
  // Room for the invalid hint as well, so a re-shown page fits too.
  const budget = SCREEN_SEPTETS - septets(`${t(journey.texts.invalid, lang)}\n`);
  if (septets(cleanScreen(all)) <= budget) return [cleanScreen(all)];
  const pages: string[] = [];
  let current = [head];
  for (const line of lines) {
    const candidate = [...current, line, more].join('\n');
    if (septets(cleanScreen(candidate)) > budget && current.length > (pages.length === 0 ? 1 : 0)) {
      pages.push(cleanScreen([...current, more].join('\n')));
      current = [];
    }
    current.push(line);
  }
  pages.push(cleanScreen([...current, ...tail].join('\n')));
  return pages;
}

export function hasBackLine(journey: Journey, screen: Screen): boolean {
  return journey.keys.back !== null && 'back' in screen && screen.back;
}

/** The plain text of a non-menu screen, with the back line where the screen shows one. */
export function screenText(journey: Journey, screen: Screen, lang: string, vars: Vars): string {
  const back = hasBackLine(journey, screen) ? `\n${t(journey.texts.backLine, lang)}` : '';
  return cleanScreen(fill(t(screen.text, lang), vars) + back);
}

/** Prefixes a re-shown screen with the hint for an input it did not accept. */
export function withHint(hint: string, body: string): string {
  return cleanScreen(`${hint}\n${body}`);
}

/**
 * Septets left for answer text on one page, after the longest footer in `lang` (with SMS on, the
 * last page may offer "Send all by SMS") and the invalid hint: a page re-shown for a wrong key
 * carries the hint, as a menu does, and must still fit whole (issue 16).
 */
export function answerPageSeptets(journey: Journey, lang: string, smsOn = false): number {
  const footer = Math.max(
    septets(t(journey.texts.answerMore, lang)),
    septets(t(journey.texts.answerLast, lang)),
    smsOn ? septets(t(journey.texts.answerLastSms, lang)) : 0,
  );
  return SCREEN_SEPTETS - footer - 1 - septets(`${t(journey.texts.invalid, lang)}\n`);
}

/** A question as a screen shows it: cut at a word to SHOWN_QUESTION_CHARS, with "...". */
export function shownQuestion(question: string): string {
  const q = cleanScreen(question.replace(/\s+/g, ' ').trim());
  if (q.length <= SHOWN_QUESTION_CHARS) return q;
  const head = q.slice(0, SHOWN_QUESTION_CHARS);
  const space = head.lastIndexOf(' ');
  return `${(space > SHOWN_QUESTION_CHARS / 2 ? head.slice(0, space) : head).trimEnd()}...`;
}

/**
 * Pages of an answer: all of them when it is done, else only the ones more text will not change
 * (unbalanced: the last two pages are evened out when the answer is done, paginate in screen/fit.ts).
 */
export function answerPages(
  journey: Journey,
  lang: string,
  text: string,
  done: boolean,
  smsOn = false,
): { pages: string[]; complete: boolean } {
  const pages = text ? paginate(text, answerPageSeptets(journey, lang, smsOn), done) : [];
  if (done) return { pages, complete: true };
  return { pages: pages.slice(0, -1), complete: false };
}

/** `offerSms`: the last page of a paged answer with SMS on offers "Send all by SMS". */
export function answerScreen(
  journey: Journey,
  lang: string,
  page: string,
  last: boolean,
  offerSms = false,
): string {
  const texts = journey.texts;
  const footer = t(last ? (offerSms ? texts.answerLastSms : texts.answerLast) : texts.answerMore, lang);
  return cleanScreen(`${page}\n${footer}`);
}

/** An offer screen: its text, the accept and decline options and the back line (0 and 00 work). */
export function offerText(journey: Journey, screen: OfferScreen, lang: string, v: Vars): string {
  const lines = [t(screen.text, lang), `1. ${t(screen.accept, lang)}`, `2. ${t(screen.decline, lang)}`];
  if (hasBackLine(journey, screen)) lines.push(t(journey.texts.backLine, lang));
  return fill(lines.join('\n'), v);
}
