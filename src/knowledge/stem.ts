// A light Swahili stemmer for retrieval. Swahili marks person, tense and noun class with prefixes
// (ni-ta-zuia-je "how will I prevent", ku-zuia "to prevent", m-toto / wa-toto "child / children"),
// which neither the Porter stemmer (English suffixes only) nor a prefix query can undo. Applied to
// the passages and to the question alike (sqlite.ts), so a word it cuts wrongly still finds
// itself; it only has to cut the common forms the same way. Pure. Not for English.

const SUBJECT_TENSE = /^(?:ni|u|a|tu|m|wa|i|zi|li|ya|ki|vi)(?:na|ta|li|me|ki|nge)(?:ku)?/;
const INFINITIVE_HABITUAL = /^(?:ku|hu)/;
/** A person or noun-class prefix before a consonant: m-toto, wa-toto, ni-hifadhi, tu-zuie. */
const CLASS = /^(?:m|wa|ni|tu)(?=[^aeiou])/;

/** The stem of one normalised word (terms.ts normalizeText); short words are left whole. */
export function stemSwahili(word: string): string {
  if (word.length < 5 || /\d/.test(word)) return word;
  let w = word;
  if (w.length >= 6 && w.endsWith('je')) w = w.slice(0, -2);
  else if (w.length >= 7 && w.endsWith('ni')) w = w.slice(0, -2);
  for (const [prefix, rest] of [
    [SUBJECT_TENSE, 3],
    [INFINITIVE_HABITUAL, 3],
    [CLASS, 4],
  ] as const) {
    const m = prefix.exec(w);
    if (m && w.length - m[0].length >= rest) return w.slice(m[0].length);
  }
  return w;
}
