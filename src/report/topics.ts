// What people ask about: questions normalised for counting, and their keywords with English and
// Swahili stopwords removed (the service's two launch languages). Pure functions, no I/O.

export interface TopicCount {
  text: string;
  count: number;
}

// Function words and the politeness/request phrases people type before the actual question.
const STOPWORDS = new Set(
  `a about after again all also am an and any are as at be because been before being between both but
  by can could did do does doing for from get give had has have he her here him his how i if in into
  is it its just know me more most my no not now of on or other our out over please should so some
  tell than that the their them then there these they this those to too under up us very was we
  were what when where which while who whom why will with would you your yours

  ama au baada bado bila cha changu chini gani hadi hapa hii hiyo huu hizi hizo ile ili je jinsi juu
  kabla kama katika kila kisha kuhusu kuna kwa kwamba kwenye la lakini leo mimi mpaka na naomba
  nataka ndani ndio ndiyo ni nini ninaweza nje nyinyi pale pia sana sasa sisi tafadhali tu unaweza
  vipi vya wa wako wangu wao wewe ya yake yangu yeye za zangu`.split(/\s+/),
);

/** Lowercase letters and digits only, single spaces: "How do I plant MAIZE?" → "how do i plant maize". */
export function normaliseQuestion(question: string): string {
  return question
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** A question's distinct keywords: no stopwords, no numbers, at least 3 letters. */
export function keywords(question: string): string[] {
  const words = normaliseQuestion(question).split(' ');
  return [...new Set(words.filter((w) => w.length >= 3 && !/^\d+$/.test(w) && !STOPWORDS.has(w)))];
}

/** The `n` most frequent values, ties broken alphabetically so the output is stable. */
export function topCounts(values: Iterable<string>, n: number): TopicCount[] {
  const counts = new Map<string, number>();
  for (const v of values) if (v) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts]
    .map(([text, count]) => ({ text, count }))
    .sort((a, b) => b.count - a.count || (a.text < b.text ? -1 : a.text > b.text ? 1 : 0))
    .slice(0, n);
}
