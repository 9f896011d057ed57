// Warnings for screens that fit but read badly on a handset: a line that wraps at 22 columns and
// leaves a short last word alone on a row ("Questions left today:" / "5", issue 16), for every
// value each placeholder can take, in every language. Warnings, not errors: `npm run menus:check`
// and the start-up log print them, and the journey still loads. Pure.
import type { MenuIssue } from '../errors.ts';
import { HANDSET_COLUMNS, runts } from '../screen/wrap.ts';
import { menuPages, offerText, screenText, t, type Vars } from './render.ts';
import { type Journey, PLANS, type Text } from './types.ts';
import type { BusinessFacts } from './validate.ts';

export function wrapWarnings(journey: Journey, facts: BusinessFacts): MenuIssue[] {
  const journeyFile = journey.file;
  const issues: MenuIssue[] = [];
  const seen = new Set<string>();
  for (const lang of journey.languages) {
    const warn = (file: string, path: string, text: string, values: string) => {
      for (const { line, word } of runts(text)) {
        // Once per line of the screen, whichever value first made it wrap badly.
        const key = `${file}\u0000${path}\u0000${lang}\u0000${line.slice(0, line.length - word.length)}`;
        if (seen.has(key)) continue;
        seen.add(key);
        issues.push({
          file,
          path,
          message: `in '${lang}', ${JSON.stringify(line)} leaves ${JSON.stringify(word)} alone on a line at ${HANDSET_COLUMNS} columns${values}`,
        });
      }
    };
    for (const v of placeholderValues(journey, lang, facts)) {
      for (const screen of journey.screens.values()) {
        const at = `screens.${screen.id}`;
        const used = VARYING.filter((name) => JSON.stringify(screen).includes(`{${name}}`));
        const values = used.length ? ` (${used.map((name) => `{${name}} = ${v[name]}`).join(', ')})` : '';
        const texts =
          screen.type === 'menu' || screen.type === 'language'
            ? PLANS.flatMap((plan) => menuPages(journey, screen, lang, v, plan))
            : screen.type === 'offer'
              ? [offerText(journey, screen, lang, v)]
              : [screenText(journey, screen, lang, v)];
        // What a user typed is theirs to word: only the screen's own lines are checked.
        for (const text of texts) warn(screen.file, at, withoutInputLines(text), values);
        if (screen.type === 'input' && screen.hint) warn(screen.file, `${at}.hint`, t(screen.hint, lang), '');
      }
    }
    const { failure, ...texts } = journey.texts;
    for (const [name, text] of Object.entries(texts))
      warn(journeyFile, `journey.texts.${name}`, t(text as Text, lang), '');
    for (const [name, text] of Object.entries(failure))
      warn(journeyFile, `journey.texts.failure.${name}`, t(text, lang), '');
  }
  return issues;
}

/** The placeholders that take more than one value for a phone. */
const VARYING = ['questions_left', 'plan'] as const;

/**
 * Every value the placeholders can take, as sets of Vars: {questions_left} from 0 to the quota
 * (one value per number of digits) and "unlimited", crossed with {plan} free, pending and subscribed. The
 * wrap depends on a value's length, not on its digits.
 */
function placeholderValues(journey: Journey, lang: string, facts: BusinessFacts): Vars[] {
  const quota = String(facts.dailyQuota);
  const counts = new Set(['0', quota]);
  for (let digits = 1; digits < quota.length; digits++) counts.add('9'.repeat(digits));
  const left = [...counts, t(journey.texts.unlimited, lang)];
  const texts = journey.texts;
  const plans = [t(texts.planFree, lang), t(texts.planPending, lang), t(texts.planPaid, lang)];
  const inputs: Record<string, string> = {};
  for (const s of journey.screens.values()) if (s.type === 'input') inputs[`input.${s.save}`] = INPUT_MARK;
  return left.flatMap((questions_left) =>
    plans.map((plan) => ({
      ...inputs,
      questions_left,
      plan,
      quota,
      price: facts.price,
      days: String(facts.days),
      language: t(journey.languageNames, lang),
    })),
  );
}

/** Stands in for a user's input (a GSM-7 character no menu text uses), so its lines can be left out. */
const INPUT_MARK = '¤';

function withoutInputLines(text: string): string {
  if (!text.includes(INPUT_MARK)) return text;
  return text
    .split('\n')
    .filter((line) => !line.includes(INPUT_MARK))
    .join('\n');
}
