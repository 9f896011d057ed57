// Whole-journey checks run at boot and by `npm run menus:check`: every text in every language and
// GSM-7, every `next` exists, every screen reachable, no option key clashing with navigation, and
// every rendered screen (with its invalid hint, with worst-case placeholder values) fits 182
// septets. Returns every problem; throws nothing.
import type { MenuIssue } from '../errors.ts';
import { SCREEN_SEPTETS } from '../screen/fit.ts';
import { isGsmChar, septets } from '../screen/gsm7.ts';
import {
  answerPageSeptets,
  fill,
  menuPages,
  offerText,
  PLACEHOLDERS,
  SHOWN_QUESTION_CHARS,
  SYSTEM_PLACEHOLDERS,
  screenText,
  t,
  type Vars,
  withHint,
} from './render.ts';
import { type Journey, PLANS, type Screen, type Text } from './types.ts';
import { checkOptions } from './validate-options.ts';
import { checkPayments } from './validate-payments.ts';
import { MONTHS_EN } from './view.ts';

/** Configured values that appear on screens, so their real length is checked. */
export interface BusinessFacts {
  dailyQuota: number;
  price: string;
  days: number;
  /** With mpesa the journey needs its payment screens (offer `paying`, journey `payments`). */
  payments?: 'intent' | 'mpesa';
}

const MIN_ANSWER_PAGE = 80;

export function validateJourney(journey: Journey, journeyFile: string, facts: BusinessFacts): MenuIssue[] {
  const issues: MenuIssue[] = [];
  const add = (file: string, path: string, message: string) => issues.push({ file, path, message });
  const { languages } = journey;
  const saved = new Set([...journey.screens.values()].flatMap((s) => (s.type === 'input' ? [s.save] : [])));

  const checkText = (file: string, path: string, text: Text | undefined) => {
    if (!text) return;
    for (const lang of languages) {
      const value = text[lang];
      if (value === undefined || value.trim() === '') add(file, path, `missing text for language '${lang}'`);
      else checkChars(file, `${path}.${lang}`, value);
    }
    for (const lang of Object.keys(text)) {
      if (!languages.includes(lang))
        add(file, `${path}.${lang}`, `language '${lang}' is not in journey.languages`);
    }
  };
  const checkChars = (file: string, path: string, value: string) => {
    const bad = [...new Set([...value].filter((c) => !isGsmChar(c)))];
    if (bad.length > 0)
      add(
        file,
        path,
        `not GSM-7 (a phone would show UCS-2, ~80 characters): ${JSON.stringify(bad.join(''))}`,
      );
    for (const m of value.matchAll(/\{([^}]*)\}/g)) {
      const name = m[1] ?? '';
      const known =
        (PLACEHOLDERS as readonly string[]).includes(name) ||
        (name.startsWith('input.') && saved.has(name.slice(6))) ||
        (path.startsWith('journey.texts.') && (SYSTEM_PLACEHOLDERS as readonly string[]).includes(name));
      if (!known)
        add(
          file,
          path,
          `unknown placeholder {${name}}; known: ${PLACEHOLDERS.map((p) => `{${p}}`).join(' ')} {input.<save>}`,
        );
    }
  };

  // The journey block.
  if (!languages.includes(journey.defaultLanguage)) {
    add(journeyFile, 'journey.defaultLanguage', `'${journey.defaultLanguage}' is not in journey.languages`);
  }
  if (!journey.screens.has(journey.start)) add(journeyFile, 'journey.start', `no screen '${journey.start}'`);
  checkText(journeyFile, 'journey.languageNames', journey.languageNames);
  for (const [name, text] of Object.entries(journey.texts)) {
    if (name === 'failure') continue;
    checkText(journeyFile, `journey.texts.${name}`, text as Text);
  }
  for (const [name, text] of Object.entries(journey.texts.failure)) {
    checkText(journeyFile, `journey.texts.failure.${name}`, text);
  }
  for (const lang of journey.texts.months ? languages : []) {
    const months = t(journey.texts.months ?? {}, lang)
      .trim()
      .split(/\s+/);
    if (months.length !== 12)
      add(journeyFile, `journey.texts.months.${lang}`, `has ${months.length} month names; 12 are needed`);
  }
  checkPayments(journey, journeyFile, facts, add, checkText);
  const navKeys = [journey.keys.back, journey.keys.home, journey.keys.more].filter(
    (k): k is string => k !== null,
  );
  if (new Set(navKeys).size !== navKeys.length)
    add(journeyFile, 'journey.keys', 'back, home and more must differ');

  // Each screen.
  for (const screen of journey.screens.values()) {
    const at = `screens.${screen.id}`;
    checkText(screen.file, `${at}.text`, screen.text);
    for (const [field, target] of nextsOf(screen)) {
      if (!journey.screens.has(target)) add(screen.file, `${at}.${field}`, `no screen '${target}'`);
    }
    if (screen.type === 'menu' || screen.type === 'language')
      checkOptions(screen, languages, navKeys, add, checkText);
    if (screen.type === 'input') checkText(screen.file, `${at}.hint`, screen.hint);
    if (screen.type === 'offer') {
      checkText(screen.file, `${at}.accept`, screen.accept);
      checkText(screen.file, `${at}.decline`, screen.decline);
      // An offer that leads a subscribed phone to an offer would loop.
      for (const field of ['whenSubscribed', 'whenPending'] as const) {
        const target = screen[field];
        if (target !== undefined && journey.screens.get(target)?.type === 'offer')
          add(screen.file, `${at}.${field}`, 'must not be an offer screen');
      }
      if (facts.payments === 'mpesa' && screen.paying === undefined)
        add(screen.file, `${at}.paying`, "required with PAYMENTS_MODE=mpesa: the 'check your phone' screen");
      if (facts.payments === 'mpesa' && screen.whenPending === undefined)
        add(
          screen.file,
          `${at}.whenPending`,
          'required with PAYMENTS_MODE=mpesa: what a phone whose payment is awaited is shown instead of the offer',
        );
    }
  }

  for (const id of unreachable(journey)) {
    const s = journey.screens.get(id);
    add(s?.file ?? journeyFile, `screens.${id}`, `not reachable from the start screen '${journey.start}'`);
  }
  issues.push(...checkFits(journey, journeyFile, facts));
  return issues;
}

function checkFits(journey: Journey, journeyFile: string, facts: BusinessFacts): MenuIssue[] {
  const issues: MenuIssue[] = [];
  for (const lang of journey.languages) {
    const v = worstCaseVars(journey, lang, facts);
    const hint = t(journey.texts.invalid, lang);
    const over = (file: string, path: string, what: string, text: string) => {
      const n = septets(text);
      if (n > SCREEN_SEPTETS)
        issues.push({
          file,
          path,
          message: `${what} is ${n} septets in '${lang}'; a screen holds ${SCREEN_SEPTETS}`,
        });
    };
    for (const screen of journey.screens.values()) {
      const at = `screens.${screen.id}`;
      if (screen.type === 'menu' || screen.type === 'language') {
        // Each plan sees its own options (showTo), so its own pages.
        for (const plan of PLANS)
          for (const [i, page] of menuPages(journey, screen, lang, v, plan).entries())
            over(screen.file, at, `page ${i + 1} with the invalid hint`, withHint(hint, page));
      } else if (screen.type === 'offer') {
        over(
          screen.file,
          at,
          'the offer with the invalid hint',
          withHint(hint, offerText(journey, screen, lang, v)),
        );
      } else if (screen.type === 'end') {
        over(screen.file, at, 'the screen', screenText(journey, screen, lang, v));
      } else {
        const h =
          screen.type === 'input' && screen.hint
            ? t(screen.hint, lang)
            : screen.type === 'ask'
              ? t(journey.texts.emptyQuestion, lang)
              : hint;
        over(screen.file, at, 'the screen with its hint', withHint(h, screenText(journey, screen, lang, v)));
      }
    }
    const texts = journey.texts;
    over(
      journeyFile,
      'journey.texts.thinking',
      'the screen with the invalid hint',
      `${hint}\n${t(texts.thinking, lang)}`,
    );
    over(
      journeyFile,
      'journey.texts.answerGone',
      'the screen with the back line',
      `${hint}\n${t(texts.answerGone, lang)}\n${t(texts.backLine, lang)}`,
    );
    // The longest values the waiting texts can show: a cut question, a backlog's minutes.
    const waitVars = { question: `${'W'.repeat(SHOWN_QUESTION_CHARS)}...`, minutes: '999' };
    for (const [name, text] of Object.entries(texts.failure)) {
      over(
        journeyFile,
        `journey.texts.failure.${name}`,
        'the screen with the invalid hint',
        `${hint}\n${fill(t(text, lang), waitVars)}`,
      );
    }
    for (const name of ['error', 'limited', 'badNumber', 'smsLater', 'dialLater', 'smsRequested'] as const)
      over(journeyFile, `journey.texts.${name}`, 'the screen', fill(t(texts[name], lang), waitVars));
    for (const name of ['pendingOffer', 'queuedBehind'] as const)
      over(
        journeyFile,
        `journey.texts.${name}`,
        'the screen with the invalid hint',
        `${hint}\n${fill(t(texts[name], lang), waitVars)}`,
      );
    const page = Math.min(answerPageSeptets(journey, lang), answerPageSeptets(journey, lang, true));
    if (page < MIN_ANSWER_PAGE) {
      issues.push({
        file: journeyFile,
        path: 'journey.texts.answerLast',
        message: `answer footers and the invalid hint leave ${page} septets per answer page in '${lang}'; keep at least ${MIN_ANSWER_PAGE}`,
      });
    }
  }
  return issues;
}

function worstCaseVars(journey: Journey, lang: string, facts: BusinessFacts): Vars {
  const longest = (...xs: string[]) => xs.reduce((a, b) => (septets(b) > septets(a) ? b : a), '');
  const inputs: Record<string, string> = {};
  for (const s of journey.screens.values()) {
    if (s.type === 'input') inputs[`input.${s.save}`] = 'W'.repeat(s.validate?.maxLength ?? 40);
  }
  const months = (journey.texts.months ? t(journey.texts.months, lang) : MONTHS_EN).split(/\s+/);
  const until = `30 ${longest(...months)}`;
  const reasons = journey.payments ? Object.values(journey.payments.reasons).map((r) => t(r, lang)) : [];
  return {
    ...inputs,
    questions_left: longest(String(facts.dailyQuota), t(journey.texts.unlimited, lang)),
    quota: String(facts.dailyQuota),
    price: facts.price,
    days: String(facts.days),
    plan: longest(
      t(journey.texts.planFree, lang),
      t(journey.texts.planPending, lang),
      fill(t(journey.texts.planPaid, lang), { until }),
    ),
    language: longest(...journey.languages.map((l) => t(journey.languageNames, l))),
    until,
    reason: longest('', ...reasons),
  };
}

function nextsOf(screen: Screen): [string, string][] {
  switch (screen.type) {
    case 'menu':
      return screen.options.map((o, i) => [`options[${i}].next`, o.next]);
    case 'language':
    case 'input':
      return [['next', screen.next]];
    case 'ask':
      return [
        ['whenQuotaUsed', screen.whenQuotaUsed],
        ['afterRating', screen.afterRating],
      ];
    case 'offer':
      return [
        ['accepted', screen.accepted],
        ['declined', screen.declined],
        ['whenSubscribed', screen.whenSubscribed],
        ...(screen.paying === undefined ? [] : ([['paying', screen.paying]] as [string, string][])),
        ...(screen.whenPending === undefined
          ? []
          : ([['whenPending', screen.whenPending]] as [string, string][])),
      ];
    case 'end':
      return [];
  }
}

function unreachable(journey: Journey): string[] {
  // A payment's outcome screens open a dial of their own.
  const roots = [
    journey.start,
    ...(journey.payments ? [journey.payments.paid, journey.payments.failed] : []),
  ];
  const seen = new Set(roots);
  const queue = [...roots];
  for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
    const screen = journey.screens.get(id);
    if (!screen) continue; // a dangling next, reported above
    for (const [, next] of nextsOf(screen)) {
      if (!seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  return [...journey.screens.keys()].filter((id) => !seen.has(id));
}
