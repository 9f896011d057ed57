// GSM-7 character set: which characters pass, what each costs on the air, how foreign text folds.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isGsm, isGsmChar, septets, toGsm } from '../../src/screen/gsm7.ts';

describe('isGsm / septets', () => {
  it.each([
    ['plain ASCII letters', 'Hello world', true, 11],
    ['Swahili needs no accents', 'Mvua itanyesha kesho asubuhi.', true, 29],
    ['basic-table accents', 'é è ù ì ò à Ñ ñ Ü ü Ç', true, 21],
    ['extension characters cost two', '€[]{}', true, 10],
    ['caret, tilde, pipe, backslash', '^~|\\', true, 8],
    ['newline is one septet', 'a\nb', true, 3],
    ['ç lower case is not GSM', 'ça', false, null],
    ['ê is not GSM', 'fête', false, null],
    ['curly quotes are not GSM', '\u201Chi\u201D', false, null],
    ['ellipsis character is not GSM', 'wait\u2026', false, null],
    ['emoji is not GSM', 'hi 😀', false, null],
    ['tab is not GSM', 'a\tb', false, null],
  ])('%s', (_name, text, gsm, cost) => {
    expect(isGsm(text)).toBe(gsm);
    if (cost !== null) expect(septets(text)).toBe(cost);
  });

  it('knows single characters', () => {
    expect(isGsmChar('@')).toBe(true);
    expect(isGsmChar('€')).toBe(true);
    expect(isGsmChar('`')).toBe(false);
  });
});

describe('toGsm', () => {
  it.each([
    [
      'smart quotes and dashes',
      '\u201CSmart\u201D \u2018quotes\u2019 \u2013 dash \u2014 ok',
      '"Smart" \'quotes\' - dash - ok',
    ],
    ['ellipsis becomes three dots', 'Wait\u2026', 'Wait...'],
    ['accents fold where the bare letter is GSM', 'fête, naïve, São, ú', 'fete, naive, Sao, u'],
    ['GSM accents are kept', 'café à Ñandu', 'café à Ñandu'],
    ['ç folds, Ç stays', 'ça Ça', 'ca Ça'],
    ['decomposed accents recompose first', 'e\u0301', 'é'],
    ['emoji and pictographs are dropped', 'Hi 😀👍🏽 there', 'Hi  there'],
    ['CJK is dropped', '水 water', ' water'],
    ['CR and form feed are removed', 'a\r\nb\fc', 'a\nbc'],
    ['tabs and no-break spaces become spaces', 'a\tb\u00A0c', 'a b c'],
    ['bullets become dashes', '\u2022 item', '- item'],
    ['symbols with a spelling', '2\u00D73 \u2264 7 \u00BD', '2x3 <= 7 1/2'],
    ['zero-width joiners vanish', 'a\u200Db', 'ab'],
    ['lone surrogates vanish', 'a\uD800b', 'ab'],
  ])('%s', (_name, input, expected) => {
    expect(toGsm(input)).toBe(expected);
  });

  it('always returns GSM-7, whatever the input', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (s) => isGsm(toGsm(s))),
      { numRuns: 500 },
    );
  });

  it('leaves GSM-7 text as it is', () => {
    const gsmChar = fc.constantFrom(
      ...'@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./09:;<=>?¡AZÄÖÑÜ§¿azäöñüà^{}\\[~]|€\n',
    );
    fc.assert(
      fc.property(fc.string({ unit: gsmChar, maxLength: 200 }), (s) => toGsm(s) === s),
      { numRuns: 300 },
    );
  });
});
