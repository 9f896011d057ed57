// One knowledge file's Markdown → its passages, or every problem in it keyed by line (issue 18).
// Pure: the text comes in, no I/O. The format (README "Knowledge base"):
//   # Title                      optional, before the first passage
//   ## Heading                   one passage per `##` section, its heading part of what is searched
//   text, lists                  joined into one plain paragraph (markdown removed, GSM-7)
//   Source: https://…            at least one per passage: where its facts come from
//   Keywords: word, word         optional: searched like the heading, never shown to the model
//                                (the words people type that the text does not use)
// `<!-- … -->` comments are ignored anywhere. It must not guess: anything it cannot place is a problem.
import type { KnowledgeIssue } from '../errors.ts';
import { stripMarkdown } from '../screen/fit.ts';
import { toGsm } from '../screen/gsm7.ts';
import type { Lang } from '../types.ts';
import { estimateTokens } from './terms.ts';
import type { Passage } from './types.ts';

export interface ParsedFile {
  passages: Passage[];
  /** The file cannot be indexed. */
  problems: KnowledgeIssue[];
  /** It can, but a passage is unlikely to serve well. */
  warnings: KnowledgeIssue[];
}

/**
 * A lead sentence longer than this may not show whole on the answer's first screen: 182 septets
 * less the rating footer and room for the invalid-key hint leave the default journey's answer
 * page 128 septets in Swahili, 132 in English (engine/render.ts answerPageSeptets).
 */
export const LEAD_SENTENCE_CHARS = 125;

const SOURCE = /^source:\s*(.*)$/i;
const KEYWORDS = /^keywords:\s*(.*)$/i;

/** Parses `text`, the content of `file` (a path inside KNOWLEDGE_DIR), in language `lang`. */
export function parseKnowledgeFile(text: string, file: string, lang: Lang, maxTokens: number): ParsedFile {
  const problems: KnowledgeIssue[] = [];
  const warnings: KnowledgeIssue[] = [];
  const passages: Passage[] = [];
  const problem = (line: number, message: string) => problems.push({ file, line, message });
  const headings = new Map<string, number>();
  let current: {
    heading: string;
    line: number;
    units: string[];
    sources: string[];
    keywords: string[];
    open: boolean;
  } | null = null;
  let inComment = false;

  const close = () => {
    if (!current) return;
    const { heading, line } = current;
    const body = current.units.map(plain).filter(Boolean);
    const joined = body.map((u, i) => (i < body.length - 1 && !/[.!?:;]$/.test(u) ? `${u}.` : u)).join(' ');
    if (body.length === 0) problem(line, `"${heading}" has no text under its heading`);
    if (current.sources.length === 0)
      problem(line, `"${heading}" has no Source: line (cite the guidance its facts come from, as a URL)`);
    const tokens = estimateTokens(`${heading}. ${joined}`, lang);
    if (tokens > maxTokens)
      problem(
        line,
        `"${heading}" is about ${tokens} tokens, more than the prompt's budget of ${maxTokens} ` +
          '(KNOWLEDGE_MAX_TOKENS): no question could use it; split it under two headings',
      );
    const lead = /^.*?[.!?](?=\s|$)/.exec(joined)?.[0] ?? joined;
    if (body.length > 0 && lead.length > LEAD_SENTENCE_CHARS)
      warnings.push({
        file,
        line,
        message: `"${heading}" opens with a ${lead.length}-character sentence: lead with the answer in one that fits a screen (~${LEAD_SENTENCE_CHARS})`,
      });
    passages.push({
      id: `${file}#${heading}`,
      lang,
      file,
      heading,
      line,
      text: joined,
      sources: current.sources,
      keywords: current.keywords,
      tokens,
    });
    current = null;
  };

  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const n = i + 1;
    let line = raw;
    // Comments: removed wherever they are, and across lines.
    if (inComment) {
      const end = line.indexOf('-->');
      if (end < 0) return;
      inComment = false;
      line = line.slice(end + 3);
    }
    line = line.replace(/<!--.*?-->/g, '');
    const open = line.indexOf('<!--');
    if (open >= 0) {
      inComment = true;
      line = line.slice(0, open);
    }
    const trimmed = line.trim();

    const heading = /^(#{1,6})(?:\s+(.*?))?\s*#*\s*$/.exec(trimmed);
    if (heading) {
      const level = heading[1]?.length ?? 0;
      const title = (heading[2] ?? '').trim();
      if (level === 2) {
        close();
        if (title === '') problem(n, 'a ## heading with no text');
        const seen = headings.get(title.toLowerCase());
        if (seen !== undefined && title !== '') problem(n, `same heading as line ${seen}: "${title}"`);
        else headings.set(title.toLowerCase(), n);
        current = { heading: title, line: n, units: [], sources: [], keywords: [], open: false };
      } else if (level === 1 && current === null && passages.length === 0) {
        // the file's title
      } else if (level === 1) {
        problem(n, 'a # title after the first passage: a file has one title, at the top');
      } else {
        problem(n, `a ${'#'.repeat(level)} heading: each passage is one ## section; use ## (or plain text)`);
      }
      return;
    }
    if (trimmed === '') {
      if (current) current.open = false;
      return;
    }
    const source = SOURCE.exec(trimmed);
    if (source) {
      const url = (source[1] ?? '').trim();
      if (!current)
        problem(n, 'a Source: line before the first ## heading: put it under the passage it supports');
      else if (!/^https?:\/\/\S+$/.test(url) || !URL.canParse(url))
        problem(n, `Source must be one http(s) URL, not ${JSON.stringify(url)}`);
      else current.sources.push(url);
      return;
    }
    const keywords = KEYWORDS.exec(trimmed);
    if (keywords) {
      const words = (keywords[1] ?? '')
        .split(',')
        .map((w) => w.trim())
        .filter(Boolean);
      if (!current) problem(n, 'a Keywords: line before the first ## heading: put it under its passage');
      else if (words.length === 0) problem(n, 'a Keywords: line with no words (separate them with commas)');
      else current.keywords.push(...words);
      return;
    }
    if (!current) {
      problem(n, 'text before the first ## heading belongs to no passage');
      return;
    }
    // A list item starts a sentence of its own; other lines continue the paragraph they are in.
    const item = /^(?:[-*+]|\d{1,2}[.)])\s+/.test(trimmed);
    if (item || !current.open) current.units.push(trimmed);
    else current.units[current.units.length - 1] += ` ${trimmed}`;
    current.open = true;
  });
  if (inComment) problem(lines.length, 'a <!-- comment that is never closed');
  close();
  return { passages, problems, warnings };
}

/** One paragraph or list item → plain GSM-7 text on one line. */
function plain(unit: string): string {
  return toGsm(stripMarkdown(unit)).replace(/\s+/g, ' ').trim();
}
