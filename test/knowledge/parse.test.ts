// A knowledge file's Markdown → passages (issue 18): one per `##` section, plain text, its sources
// and keywords; and every broken file named with the line and what is wrong, all problems at once.
import { describe, expect, it } from 'vitest';
import { parseKnowledgeFile } from '../../src/knowledge/parse.ts';

const URL_A = 'https://www.who.int/news-room/fact-sheets/detail/malaria';

describe('a valid file', () => {
  it('gives one passage per ## section, markdown and sources out of the text', () => {
    const text = [
      '# Malaria', // the title
      '<!-- reviewed 2025 by the county health team -->',
      '',
      '## Preventing malaria',
      'Sleep under an **insecticide-treated** net',
      'every night.',
      '- Clear standing water',
      '- Close windows at dusk',
      'Keywords: stop, avoid',
      `Source: ${URL_A}`,
      '',
      '## Signs of malaria',
      'Fever, headache and chills. <!-- inline comment -->',
      `source: ${URL_A}`,
      'Source: https://pdf.usaid.gov/pdf_docs/PA00N1G9.pdf',
    ].join('\n');
    const { passages, problems, warnings } = parseKnowledgeFile(text, 'en/malaria.md', 'en', 300);
    expect(problems).toEqual([]);
    expect(warnings).toEqual([]);
    expect(passages.map(({ tokens: _t, ...p }) => p)).toEqual([
      {
        id: 'en/malaria.md#Preventing malaria',
        lang: 'en',
        file: 'en/malaria.md',
        heading: 'Preventing malaria',
        line: 4,
        // a paragraph wrapped over lines stays one sentence; list items become sentences
        text: 'Sleep under an insecticide-treated net every night. Clear standing water. Close windows at dusk',
        sources: [URL_A],
        keywords: ['stop', 'avoid'],
      },
      {
        id: 'en/malaria.md#Signs of malaria',
        lang: 'en',
        file: 'en/malaria.md',
        heading: 'Signs of malaria',
        line: 12,
        text: 'Fever, headache and chills.',
        sources: [URL_A, 'https://pdf.usaid.gov/pdf_docs/PA00N1G9.pdf'],
        keywords: [],
      },
    ]);
    expect(passages[0]?.tokens).toBeGreaterThan(20);
  });

  it('maps text to GSM-7 and estimates Swahili at more tokens per character', () => {
    const body = `Lala ndani ya chandarua \u201cchenye dawa\u201d kila usiku.\nSource: ${URL_A}`;
    const sw = parseKnowledgeFile(`## Chandarua\n${body}`, 'sw/a.md', 'sw', 300).passages[0];
    const en = parseKnowledgeFile(`## Chandarua\n${body}`, 'en/a.md', 'en', 300).passages[0];
    expect(sw?.text).toBe('Lala ndani ya chandarua "chenye dawa" kila usiku.');
    expect(sw?.tokens).toBeGreaterThan(en?.tokens ?? Infinity);
  });

  it('warns, without refusing, when a lead sentence would not fit the first screen', () => {
    const long = `${'Sleep under a net '.repeat(9)}every night.`;
    const r = parseKnowledgeFile(`## Nets\n${long}\nSource: ${URL_A}`, 'en/nets.md', 'en', 300);
    expect(r.problems).toEqual([]);
    expect(r.warnings).toEqual([
      {
        file: 'en/nets.md',
        line: 1,
        message: expect.stringMatching(/^"Nets" opens with a 174-character sentence/),
      },
    ]);
  });
});

describe('a broken file is named with the line and what is wrong', () => {
  it.each([
    [
      'text before the first heading',
      'Malaria is bad.\n## A\nText.\nSource: https://a.org',
      [[1, 'text before the first ## heading']],
    ],
    ['a passage with no source', '## A\nText.', [[1, '"A" has no Source: line']]],
    [
      'a source that is not a URL',
      '## A\nText.\nSource: WHO fact sheet',
      [
        [3, 'Source must be one http(s) URL'],
        [1, '"A" has no Source: line'],
      ],
    ],
    [
      'a heading with no text',
      '## A\nSource: https://a.org\n## B\nText.\nSource: https://a.org',
      [[1, '"A" has no text under its heading']],
    ],
    ['an empty heading', '##\nText.\nSource: https://a.org', [[1, 'a ## heading with no text']]],
    [
      'the same heading twice',
      '## A\nText.\nSource: https://a.org\n## a\nMore.\nSource: https://a.org',
      [[4, 'same heading as line 1']],
    ],
    [
      'a ### sub-heading',
      '## A\nText.\n### B\nSource: https://a.org',
      [[3, 'a ### heading: each passage is one ## section']],
    ],
    [
      'a second title',
      '## A\nText.\nSource: https://a.org\n# Other',
      [[4, 'a # title after the first passage']],
    ],
    [
      'an unclosed comment',
      '## A\nText.\nSource: https://a.org\n<!-- todo',
      [[4, 'a <!-- comment that is never closed']],
    ],
    [
      'keywords before any passage',
      'Keywords: a\n## A\nText.\nSource: https://a.org',
      [[1, 'a Keywords: line before the first ## heading']],
    ],
    [
      'a passage over the token budget',
      `## A\n${'word '.repeat(100)}\nSource: https://a.org`,
      [[1, '"A" is about 126 tokens, more than the prompt\'s budget of 50']],
    ],
  ])('%s', (_name, text, expected) => {
    const { problems } = parseKnowledgeFile(text, 'en/x.md', 'en', 50);
    expect(problems.map((p) => [p.line, p.message])).toEqual(
      expected.map(([line, message]) => [line, expect.stringContaining(String(message))]),
    );
    for (const p of problems) expect(p.file).toBe('en/x.md');
  });

  it('reports every problem of the file at once', () => {
    const text = 'intro\n## A\n## A\nText.\nSource: nope';
    expect(parseKnowledgeFile(text, 'sw/x.md', 'sw', 300).problems.map((p) => p.line)).toEqual([
      1, 2, 2, 3, 5, 3,
    ]);
  });
});
