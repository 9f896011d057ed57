// The screen fitter: model output in, screens of at most 182 GSM-7 septets out, nothing lost.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cleanAnswer,
  cleanScreen,
  collapseWhitespace,
  fitText,
  paginate,
  SCREEN_SEPTETS,
  stripMarkdown,
  takeSeptets,
} from '../../src/screen/fit.ts';
import { isGsm, septets } from '../../src/screen/gsm7.ts';

/** Random text rich in the characters that matter: GSM, extension, look-alikes, emoji, markdown. */
const richText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 400 }),
  fc.string({ unit: 'grapheme', maxLength: 400 }),
  fc.string({
    unit: fc.constantFrom(
      ...'ab cd EF 12 . , ! ? € [ ] ^ ~ \n * _ # - ` > é ê ç \u201C \u2019 \u2014 \u2026 😀 水 \t \u00A0'.split(
        ' ',
      ),
      ' ',
      'word',
      'Malaria',
    ),
    maxLength: 150,
  }),
);

describe('stripMarkdown', () => {
  it.each([
    ['bold and italics', '**Boil** the _water_ first.', 'Boil the water first.'],
    ['headings', '## Malaria\nSleep under a net.', 'Malaria\nSleep under a net.'],
    ['bullets and numbers', '- one\n* two\n1. three\n2) four', 'one\ntwo\nthree\nfour'],
    ['inline code and fences', 'Run `ollama`\n```bash\nls\n```', 'Run ollama\nls\n'],
    ['links keep their text', 'See [WHO](https://who.int) now', 'See WHO now'],
    ['quotes and rules', '> quoted\n---\nend', 'quoted\n\nend'],
    ['snake_case survives', 'use my_var_name here', 'use my_var_name here'],
  ])('%s', (_name, input, expected) => {
    expect(stripMarkdown(input)).toBe(expected);
  });
});

describe('cleanAnswer', () => {
  it.each([
    ['plain text stays', 'Drink clean water.', 'Drink clean water.'],
    ['whitespace collapses', '  Drink   clean\twater.  ', 'Drink clean water.'],
    [
      'list lines become sentences',
      'Do this:\n- boil water\n- wash hands',
      'Do this: boil water. wash hands',
    ],
    ['curly punctuation maps', '\u201CORS\u201D \u2013 mix it\u2026', '"ORS" - mix it...'],
    ['emoji go', 'Sleep under a net 🦟.', 'Sleep under a net.'],
    [
      'an emoji before a comma leaves no space',
      'You may have a fever 🤒, so rest.',
      'You may have a fever, so rest.',
    ],
    ['an emoji between words leaves one space', 'Rest 😴 and drink water 💧', 'Rest and drink water'],
    ['an emoji first leaves no space', '🦟 Malaria spreads at night.', 'Malaria spreads at night.'],
    ['markdown goes', '**Yes.** It is *free*.', 'Yes. It is free.'],
    ['nothing usable', '😀 \n **', ''],
  ])('%s', (_name, input, expected) => {
    expect(cleanAnswer(input)).toBe(expected);
  });

  it('is one GSM-7 paragraph for any input', () => {
    fc.assert(
      fc.property(richText, (s) => {
        const out = cleanAnswer(s);
        return isGsm(out) && !out.includes('\n') && !/\s{2}/.test(out) && out === out.trim();
      }),
      { numRuns: 500 },
    );
  });
});

describe('cleanScreen', () => {
  it('trims AT-demo indentation and keeps line breaks', () => {
    expect(cleanScreen('\n    CON Welcome\n    1. Ask   a question\n\n\n\n    2. Help\n')).toBe(
      'CON Welcome\n1. Ask a question\n\n2. Help',
    );
  });

  it('is GSM-7 for any input', () => {
    fc.assert(
      fc.property(richText, (s) => isGsm(cleanScreen(s))),
      { numRuns: 300 },
    );
  });
});

describe('fitText', () => {
  const malaria =
    'Malaria is spread by mosquitoes that bite at night. Sleep under a treated net every night, ' +
    'and clear standing water near your home. If you get a fever, go to a clinic for a test at once.';

  it.each([
    ['short text is untouched', 'Drink clean water.', 182, 'Drink clean water.'],
    [
      'cuts at a sentence end when most of it stays',
      malaria,
      160,
      malaria.slice(0, malaria.indexOf(' If you')),
    ],
    [
      'cuts at the last sentence when it keeps 60%',
      malaria,
      80,
      'Malaria is spread by mosquitoes that bite at night.',
    ],
    [
      'otherwise cuts at a word and marks it',
      malaria,
      100,
      'Malaria is spread by mosquitoes that bite at night. Sleep under a treated net every night, and...',
    ],
    [
      'a decimal point is not a sentence end',
      'Give the child 2.5 ml twice a day with food',
      20,
      'Give the child...',
    ],
    ['a word ending exactly at the limit is kept', 'one two three four', 12, 'one two...'],
    ['tiny limits cut hard', 'abcdef', 3, 'abc'],
    ['zero gives nothing', 'abc', 0, ''],
    ['extension characters count two', '€€€€€€', 8, '€€...'],
  ])('%s', (_name, text, max, expected) => {
    const out = fitText(text, max);
    expect(out).toBe(expected);
    expect(septets(out)).toBeLessThanOrEqual(max);
  });

  it('never exceeds the limit and leaves fitting text alone', () => {
    fc.assert(
      fc.property(richText, fc.integer({ min: 0, max: 300 }), (s, max) => {
        const clean = cleanAnswer(s);
        const out = fitText(clean, max);
        if (!isGsm(out) || septets(out) > max) return false;
        return septets(clean) > max || out === clean;
      }),
      { numRuns: 1000 },
    );
  });
});

describe('paginate', () => {
  it.each([
    ['one page when it fits', 'Short answer.', 20, ['Short answer.']],
    [
      'splits at sentence ends',
      'First one here. Second one here.',
      20,
      ['First one here.', 'Second one here.'],
    ],
    ['splits at words otherwise', 'aaa bbb ccc ddd eee', 8, ['aaa bbb', 'ccc ddd', 'eee']],
    ['a word ending at the budget stays whole', 'aaaa bbbb', 4, ['aaaa', 'bbbb']],
    ['a decimal is not split', 'Mix 1.5 litres', 6, ['Mix', '1.5', 'litres']],
    ['hard-cuts a word longer than a page', 'abcdefghij', 4, ['abcd', 'efgh', 'ij']],
    ['an extension character is never split', '€€€', 3, ['€', '€', '€']],
    ['empty text has no pages', '   ', 10, []],
  ])('%s', (_name, text, budget, expected) => {
    expect(paginate(text, budget)).toEqual(expected);
  });

  // Issue 16: "...6 level teaspoons of sugar and half a" / "level teaspoon of salt...", then a last
  // page of three words.
  const ORS =
    'To make ORS at home, mix one litre of clean water that was boiled and cooled with 6 level teaspoons ' +
    'of sugar and half a level teaspoon of salt. Stir until it dissolves. Give small sips often, even if ' +
    'the child vomits. See a health worker at once if the child has blood in the stool or is very weak.';
  const ANSWER_PAGE = 132; // the default journey's page in English, footer and hint kept back

  it('breaks at a sentence end, else a clause, else a word, never after a short word', () => {
    expect(paginate(ORS, ANSWER_PAGE)).toEqual([
      'To make ORS at home, mix one litre of clean water that was boiled and cooled with 6 level teaspoons of sugar',
      'and half a level teaspoon of salt. Stir until it dissolves. Give small sips often, even if the child vomits.',
      'See a health worker at once if the child has blood in the stool or is very weak.',
    ]);
    const short = 'aaaa bbbb cccc dddd eeee of a ffff';
    expect(paginate(short, 28, false)).toEqual(['aaaa bbbb cccc dddd eeee', 'of a ffff']);
    expect(paginate(short, 28)).toEqual(['aaaa bbbb cccc', 'dddd eeee of a ffff']); // then balanced
  });

  it('prefers a clause to a word', () => {
    const text = 'Boil the water for one full minute, let it cool down, then keep it in a clean covered pot';
    expect(paginate(text, 60)).toEqual([
      'Boil the water for one full minute, let it cool down,',
      'then keep it in a clean covered pot',
    ]);
  });

  it.each([
    [
      'an answer a little over one page',
      `${'Sleep under a treated net every night. '.repeat(3)}Clear standing water.`,
    ],
    ['the ORS answer', ORS],
    [
      'a last sentence of three words',
      `${'Drink clean water and wash your hands. '.repeat(3)}Rest, or see a nurse.`,
    ],
  ])('balances the last pages so none is a stub: %s', (_name, text) => {
    const pages = paginate(text, ANSWER_PAGE);
    expect(pages.length).toBeGreaterThan(1);
    expect(pages.every((p) => septets(p) <= ANSWER_PAGE)).toBe(true);
    expect(septets(pages.at(-1) as string)).toBeGreaterThanOrEqual(ANSWER_PAGE * 0.4);
    expect(pages.join(' ')).toBe(collapseWhitespace(text));
  });

  it('keeps the pages an answer still being written has shown: only the last two may move, and only back', () => {
    const word = fc.string({ unit: fc.constantFrom(...'abcdefghij.,'), minLength: 1, maxLength: 10 });
    fc.assert(
      fc.property(
        fc.array(word, { minLength: 1, maxLength: 80 }),
        fc.integer({ min: 24, max: 160 }),
        (words, budget) => {
          const full = paginate(words.join(' '), budget);
          for (let n = 1; n < words.length; n++) {
            const shown = paginate(words.slice(0, n).join(' '), budget, false).slice(0, -1);
            for (const [i, page] of shown.entries()) {
              const final = full[i] as string;
              if (i < full.length - 2 && page !== final) return false;
              if (i >= full.length - 2 && !page.startsWith(final)) return false; // overlap, never a gap
            }
          }
          return true;
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses a budget that could not hold an extension character', () => {
    expect(() => paginate('€', 1)).toThrow(RangeError);
  });

  it('pages are within budget and lose no text, for any input', () => {
    fc.assert(
      fc.property(richText, fc.integer({ min: 2, max: 200 }), (s, budget) => {
        const text = cleanAnswer(s);
        const pages = paginate(text, budget);
        const within = pages.every((p) => p.length > 0 && isGsm(p) && septets(p) <= budget);
        const squash = (t: string) => t.replace(/\s+/g, '');
        return within && squash(pages.join('')) === squash(text);
      }),
      { numRuns: 1000 },
    );
  });

  it('rejoins exactly when no word is longer than a page', () => {
    const word = fc.string({ unit: fc.constantFrom(...'abcxyz€.,!?é'), minLength: 1, maxLength: 12 });
    fc.assert(
      fc.property(fc.array(word, { maxLength: 60 }), fc.integer({ min: 24, max: 200 }), (words, budget) => {
        const text = words.join(' ');
        return paginate(text, budget).join(' ') === collapseWhitespace(text);
      }),
      { numRuns: 500 },
    );
  });

  it('any model output becomes screens of at most 182 septets with a footer', () => {
    const footer = '\n1.More 0.Back';
    fc.assert(
      fc.property(richText, (s) =>
        paginate(cleanAnswer(s), SCREEN_SEPTETS - septets(footer)).every(
          (p) => isGsm(p + footer) && septets(p + footer) <= SCREEN_SEPTETS,
        ),
      ),
      { numRuns: 500 },
    );
  });
});

describe('takeSeptets', () => {
  it.each([
    ['counts extension characters as two', 'a€b', 2, 'a'],
    ['stops before a character that would overflow', 'ab€', 3, 'ab'],
    ['takes everything when it fits', 'abc', 10, 'abc'],
  ])('%s', (_name, text, max, expected) => {
    expect(takeSeptets(text, max)).toBe(expected);
  });
});
