// The small pure parts of the log: AT's lenient cost field and the topic keywords.
import { describe, expect, it } from 'vitest';
import { parseCost } from '../../src/protocol/cost.ts';
import { keywords, normaliseQuestion, topCounts } from '../../src/report/topics.ts';

describe('parseCost', () => {
  it.each([
    ['KES 0.10', 0.1, 'KES'],
    ['0.1', 0.1, null],
    ['KES0.10', 0.1, 'KES'],
    ['0.10 ugx', 0.1, 'UGX'],
    ['NGN 1,000.50', 1000.5, 'NGN'],
    ['  5 ', 5, null],
    [0.25, 0.25, null],
    ['', null, null],
    ['free', null, null],
    ['KES', null, null],
  ] as const)('%j → %s %s', (raw, amount, currency) => {
    expect(parseCost(raw)).toEqual({ amount, currency });
  });
});

describe('topics', () => {
  it.each([
    ['How do I plant MAIZE?', 'how do i plant maize', ['plant', 'maize']],
    ['Bei ya mbolea ni kiasi gani?', 'bei ya mbolea ni kiasi gani', ['bei', 'mbolea', 'kiasi']],
    ['Naomba habari za mvua, tafadhali!', 'naomba habari za mvua tafadhali', ['habari', 'mvua']],
    ['maize maize 2025 ok', 'maize maize 2025 ok', ['maize']],
    ['Ça va? Ñame', 'ça va ñame', ['ñame']],
  ])('%j → %j, keywords %j', (question, normalised, words) => {
    expect(normaliseQuestion(question)).toBe(normalised);
    expect(keywords(question)).toEqual(words);
  });

  it('counts, most frequent first, ties alphabetical, empty values ignored', () => {
    expect(topCounts(['b', 'a', 'c', 'b', '', 'a', 'b'], 2)).toEqual([
      { text: 'b', count: 3 },
      { text: 'a', count: 2 },
    ]);
  });
});
