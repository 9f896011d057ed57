// The curated FAQ: the shipped file is valid and useful; bad files are refused with every problem
// named by file, entry and field; matching ignores case, punctuation and accents.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MenuError } from '../../src/errors.ts';
import { createFaq, loadFaq, parseFaq } from '../../src/inference/faq.ts';
import { paginate } from '../../src/screen/fit.ts';
import { isGsm } from '../../src/screen/gsm7.ts';

const FILE = 'faq.yaml';

function problems(text: string): string[] {
  try {
    parseFaq(text, FILE);
  } catch (err) {
    expect(err).toBeInstanceOf(MenuError);
    return (err as MenuError).issues.map((i) => `${i.file} ${i.path}: ${i.message}`);
  }
  return [];
}

describe('the shipped menus/faq.yaml', () => {
  const faq = loadFaq(join(import.meta.dirname, '../../menus/faq.yaml'));

  it('has 5 to 8 entries', () => {
    expect(faq.size).toBeGreaterThanOrEqual(5);
    expect(faq.size).toBeLessThanOrEqual(8);
  });

  it.each([
    ['Is it free?', 'en', /free/],
    ['ni bure?', 'sw', /bure/],
    [
      'How do I make ORS?',
      'en',
      /1 litre of clean water, 6 level teaspoons of sugar and half a level teaspoon of salt/,
    ],
    ['Jinsi ya kutengeneza ORS', 'sw', /lita 1 ya maji safi/],
    ['How to prevent MALARIA', 'en', /net/],
    ['how do i change language', 'sw', /Badilisha lugha/], // an English variant, answered in the user's language
    ['What is the weather today?', 'en', null],
  ])('%j (%s)', (question, lang, expected) => {
    const answer = faq.match(question, lang);
    if (expected === null) expect(answer).toBeNull();
    else expect(answer).toMatch(expected);
  });

  it('every answer is GSM-7, one paragraph, and at most 3 pages', () => {
    const entries = parseFaq(readFileSync(join(import.meta.dirname, '../../menus/faq.yaml'), 'utf8'), FILE);
    for (const entry of entries) {
      expect(Object.keys(entry.a).sort()).toEqual(['en', 'sw']);
      for (const answer of Object.values(entry.a)) {
        expect(isGsm(answer)).toBe(true);
        expect(answer).not.toContain('\n');
        expect(paginate(answer, 160).length).toBeLessThanOrEqual(3);
      }
    }
  });
});

describe('invalid FAQ files', () => {
  it.each([
    ['not YAML', 'faq: [', [/faq\.yaml : not valid YAML/]],
    ['no faq list', 'questions: []', [/faq\.yaml faq: /, /faq\.yaml : .*questions/]],
    ['an entry without answers', 'faq:\n  - q: { en: [hi] }', [/faq\.yaml faq\[0\]\.a: /]],
    [
      'an empty variant list',
      'faq:\n  - q: { en: [] }\n    a: { en: Hi. }',
      [/faq\[0\]\.q\.en: needs a variant/],
    ],
    ['an unknown field', 'faq:\n  - q: { en: [hi] }\n    a: { en: Hi. }\n    extra: 1', [/faq\[0\]: /]],
    ['a bad language code', 'faq:\n  - q: { English: [hi] }\n    a: { en: Hi. }', [/faq\[0\]\.q\.English: /]],
  ])('%s', (_name, text, expected) => {
    const found = problems(text);
    expect(found).toHaveLength(expected.length);
    for (const [i, re] of expected.entries()) expect(found[i]).toMatch(re);
  });

  it('reports every content problem at once, by entry and field', () => {
    const text = [
      'faq:',
      '  - q: { en: [is it free] }',
      '    a: { en: "It is free \u2014 \u201Cfor now\u201D 😀" }',
      '  - q: { en: ["Is it FREE?", "?!"] }',
      `    a: { en: "${'Long answer. '.repeat(60)}" }`,
    ].join('\n');
    expect(problems(text)).toEqual([
      'faq.yaml faq[0].a.en: not GSM-7 (phones cannot show "\u2014\u201C\u201D😀")',
      'faq.yaml faq[1].a.en: longer than 3 pages of 160 septets',
      'faq.yaml faq[1].q.en[0]: same question as faq[0].q.en[0]',
      'faq.yaml faq[1].q.en[1]: has no letters or digits',
    ]);
  });

  it('a missing file is an error naming it, unless the FAQ is optional', () => {
    const dir = mkdtempSync(join(tmpdir(), 'faq-'));
    const missing = join(dir, 'faq.yaml');
    expect(() => loadFaq(missing)).toThrow(MenuError);
    expect(() => loadFaq(missing)).toThrow(missing);
    expect(loadFaq(missing, { optional: true }).size).toBe(0);
    expect(loadFaq(null).size).toBe(0);
    writeFileSync(missing, 'faq:\n  - q: { en: [hello there] }\n    a: { en: "Hi." }\n');
    expect(loadFaq(missing).match('Hello, there!', 'en')).toBe('Hi.');
  });
});

describe('createFaq matching', () => {
  const faq = createFaq([
    { q: { en: ['is it free'], sw: ['ni bure'] }, a: { en: 'Yes.', sw: 'Ndiyo.' } },
    { q: { en: ['who made this'] }, a: { en: 'A small team.' } },
  ]);
  it.each([
    ['Is it free?', 'en', 'Yes.'],
    ['IS IT FREE', 'sw', 'Ndiyo.'],
    ['Ni bure?', 'en', 'Yes.'],
    ['who made this?', 'sw', 'A small team.'], // no Swahili answer: English rather than nothing
    ['is it', 'en', null],
    ['', 'en', null],
  ])('%j in %s → %j', (question, lang, expected) => {
    expect(faq.match(question, lang)).toBe(expected);
  });
});
