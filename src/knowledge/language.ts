// Which of the launch languages a short text is in, from its most frequent words. Pure. Used to
// take passages in the question's language (a Swahili menu user may type English, and the prompt
// tells the model to answer in the question's language) and by the eval to score the answer's.
import type { Lang } from '../types.ts';
import { normalizeText } from './terms.ts';

// Words that are frequent in one language and rare in the other: function words first, then the
// everyday words of the service's topics. Loanwords both share (malaria, ORS) are in neither.
const MARKERS: Record<'en' | 'sw', ReadonlySet<string>> = {
  en: new Set(
    `the is are was a an of to and in for my your you i it its what how do does can should with on at be
    this that have has not or if when where why who which from will would there they we me please give
    get go keep take use every day night child children water fever clinic hospital sleep net know sorry
    cannot cant dont answer question ask health worker`.split(/\s+/),
  ),
  sw: new Set(
    `na ya wa za la cha vya kwa ni je nini gani vipi jinsi kama au lakini hii huu hizi kuna sana pia
    nifanye ninaweza naweza mimi wewe yeye sisi wao wangu yangu wako yako yake wake kwenye katika hadi
    baada kabla ili kwamba ndiyo hapana si tafadhali mtoto watoto maji siku kila usiku homa mahindi nenda
    mpe mpeleke kliniki hospitali dawa haraka kunywa chakula mgonjwa afya daktari sijui siwezi samahani
    uliza mhudumu chandarua lala`.split(/\s+/),
  ),
};

/** 'en', 'sw', or null when the text has too few marker words to tell. */
export function guessLanguage(text: string): Lang | null {
  let en = 0;
  let sw = 0;
  for (const word of normalizeText(text.replace(/'/g, '')).split(' ')) {
    if (MARKERS.en.has(word)) en++;
    if (MARKERS.sw.has(word)) sw++;
  }
  if (en === sw) {
    // No marker decides: Swahili words nearly all end in a vowel, English ones mostly do not
    // ("Nitatengenezaje ORS nyumbani" has no function word, but is plainly Swahili).
    const long = normalizeText(text)
      .split(' ')
      .filter((w) => w.length >= 4 && !/\d/.test(w));
    if (long.length < 2) return null;
    const vowelEnds = long.filter((w) => /[aeiou]$/.test(w)).length / long.length;
    return vowelEnds >= 0.8 ? 'sw' : vowelEnds <= 0.4 ? 'en' : null;
  }
  return en > sw ? 'en' : 'sw';
}
