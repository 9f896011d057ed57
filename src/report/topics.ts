// What people ask about: questions normalised for counting, their keywords with English and
// Swahili stopwords removed (the service's two launch languages), and the topics: the same question
// asked in different words or cases counted as one, with its helpful rate, and what is not a
// question ("1", "a b c d": menu keys and mashing, issue 16 item 9) left out. Pure, no I/O.

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
  return topWeighted(
    (function* () {
      for (const v of values) yield [v, 1] as const;
    })(),
    n,
  );
}

/** The `n` values with the largest summed weights, ties broken alphabetically. */
export function topWeighted(values: Iterable<readonly [string, number]>, n: number): TopicCount[] {
  const counts = new Map<string, number>();
  for (const [v, w] of values) if (v) counts.set(v, (counts.get(v) ?? 0) + w);
  return [...counts]
    .map(([text, count]) => ({ text, count }))
    .sort((a, b) => b.count - a.count || (a.text < b.text ? -1 : a.text > b.text ? 1 : 0))
    .slice(0, n);
}

/** A group of questions asked the same way: its most asked wording, and how they were rated. */
export interface TopicGroup extends TopicCount {
  /** Distinct wordings counted in the group. */
  variants: number;
  /** Ratings given to its answers, and how many said helpful. */
  rated: number;
  helpful: number;
  helpfulRate: number | null;
}

/** A question's text as typed, how many times it was asked, and its answers' ratings. */
export interface AskedQuestion {
  question: string;
  asked: number;
  rated: number;
  helpful: number;
}

/** A topic's wording is cut to this, at a word (a 500-character question printed whole: issue 16.9). */
export const TOPIC_MAX_CHARS = 60;

// Kept in the grouping key although stopwords: "when to plant maize" is not "how to plant maize".
const DISTINGUISHING = new Set(['when', 'where', 'why', 'who', 'lini', 'wapi', 'nani']);

/**
 * The key that groups wordings of one question: its keywords, stemmed and sorted, with the
 * question words that change its meaning. '' for what is not a question (no keyword at all).
 */
export function topicKey(question: string): string {
  const content = keywords(question);
  if (content.length === 0) return '';
  const asks = normaliseQuestion(question)
    .split(' ')
    .filter((w) => DISTINGUISHING.has(w));
  return [...new Set([...content.map(stem), ...asks])].sort().join(' ');
}

/** The `n` most asked topics, most asked first, ties by wording. */
export function topicGroups(asked: Iterable<AskedQuestion>, n: number): TopicGroup[] {
  const groups = new Map<
    string,
    { count: number; rated: number; helpful: number; wordings: Map<string, number> }
  >();
  for (const q of asked) {
    const key = topicKey(q.question);
    if (key === '') continue;
    const g = groups.get(key) ?? { count: 0, rated: 0, helpful: 0, wordings: new Map<string, number>() };
    g.count += q.asked;
    g.rated += q.rated;
    g.helpful += q.helpful;
    const wording = normaliseQuestion(q.question);
    g.wordings.set(wording, (g.wordings.get(wording) ?? 0) + q.asked);
    groups.set(key, g);
  }
  return [...groups.values()]
    .map((g) => ({
      text: shorten(mostAsked(g.wordings)),
      count: g.count,
      variants: g.wordings.size,
      rated: g.rated,
      helpful: g.helpful,
      helpfulRate: g.rated === 0 ? null : g.helpful / g.rated,
    }))
    .sort((a, b) => b.count - a.count || (a.text < b.text ? -1 : a.text > b.text ? 1 : 0))
    .slice(0, n);
}

/** `text` cut at a word to TOPIC_MAX_CHARS, with an ellipsis when cut. */
export function shorten(text: string): string {
  if (text.length <= TOPIC_MAX_CHARS) return text;
  const cut = text.slice(0, TOPIC_MAX_CHARS);
  const space = cut.lastIndexOf(' ');
  return `${(space > TOPIC_MAX_CHARS / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

/** "plants" and "plant", "diseases" and "disease" are one word for grouping. */
function stem(word: string): string {
  return word.length > 4 && word.endsWith('s') && !word.endsWith('ss') ? word.slice(0, -1) : word;
}

/** The most frequent wording; ties: the first alphabetically (stable whatever the rows' order). */
function mostAsked(wordings: Map<string, number>): string {
  let best = '';
  let bestCount = 0;
  for (const [w, c] of wordings) {
    if (c > bestCount || (c === bestCount && w < best)) {
      best = w;
      bestCount = c;
    }
  }
  return best;
}
