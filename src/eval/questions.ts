// The eval's question set (eval/questions.yaml, issue 18): read and checked like the menus, every
// problem named with its file and line (KnowledgeError, layer "eval"). What each field means is in
// the file's header and README "The eval".
import { readFile } from 'node:fs/promises';
import { isMap, isSeq, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { KnowledgeError, type KnowledgeIssue } from '../errors.ts';

/**
 * answer: a question with facts to give (`expect`); refuse: an injection or off-topic request the
 * assistant must decline; clinic: an emergency, the answer must send the person to a clinic;
 * unknown: outside the knowledge base, the assistant must say it does not know rather than guess.
 */
export const KINDS = ['answer', 'refuse', 'clinic', 'unknown'] as const;
export type EvalKind = (typeof KINDS)[number];

export interface EvalQuestion {
  id: string;
  lang: string;
  q: string;
  kind: EvalKind;
  /** Phrases (matched as whole words, case and accents aside) or /patterns/flags. */
  expect: string[];
  forbid: string[];
  line: number;
}

const ITEM = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and dashes'),
  lang: z.string().regex(/^[a-z]{2,3}$/, 'a language code such as en or sw'),
  q: z.string().trim().min(1, 'must not be empty'),
  kind: z.enum(KINDS).default('answer'),
  expect: z.array(z.string().min(1)).default([]),
  forbid: z.array(z.string().min(1)).default([]),
  note: z.string().optional(),
});
const FILE = z.strictObject({ questions: z.array(z.unknown()).min(1, 'needs at least one question') });

/** Reads and checks a question set. Throws KnowledgeError naming each problem's line. */
export async function loadQuestions(file: string): Promise<EvalQuestion[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new KnowledgeError([{ file, line: 0, message: `cannot read: ${(err as Error).message}` }], 'eval');
  }
  return parseQuestions(text, file);
}

/** Parses question-set YAML; `file` only names the source in problems. */
export function parseQuestions(text: string, file: string): EvalQuestion[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  const issues: KnowledgeIssue[] = [];
  const lineOf = (offset: number | undefined) => (offset === undefined ? 0 : lines.linePos(offset).line);
  for (const e of doc.errors)
    issues.push({ file, line: lineOf(e.pos[0]), message: `YAML: ${e.message.split('\n')[0]}` });
  if (issues.length > 0) throw new KnowledgeError(issues, 'eval');

  const top = FILE.safeParse(doc.toJS() ?? {});
  if (!top.success) {
    throw new KnowledgeError(
      top.error.issues.map((i) => ({
        file,
        line: 1,
        message: `${i.path.join('.') || 'file'}: ${i.message}`,
      })),
      'eval',
    );
  }
  const seq = doc.get('questions', true);
  const nodes = isSeq(seq) ? seq.items : [];
  const seen = new Map<string, number>();
  const out: EvalQuestion[] = [];
  top.data.questions.forEach((raw, i) => {
    const node = nodes[i] as { range?: [number, number, number] } | undefined;
    const line = lineOf(node?.range?.[0]);
    const fieldLine = (key: PropertyKey) => {
      const n = nodes[i];
      const value = isMap(n)
        ? (n.get(String(key), true) as { range?: [number, number, number] } | undefined)
        : undefined;
      return value?.range ? lineOf(value.range[0]) : line;
    };
    const parsed = ITEM.safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const key = issue.path[0];
        issues.push({
          file,
          line: key === undefined ? line : fieldLine(key),
          message: `questions[${i}]${key === undefined ? '' : `.${String(key)}`}: ${issue.message}`,
        });
      }
      return;
    }
    const q = parsed.data;
    const first = seen.get(q.id);
    if (first !== undefined)
      issues.push({ file, line, message: `id "${q.id}" already used on line ${first}` });
    else seen.set(q.id, line);
    if (q.kind === 'answer' && q.expect.length === 0)
      issues.push({ file, line, message: `"${q.id}": an answer question needs at least one expect` });
    for (const key of ['expect', 'forbid'] as const) {
      for (const item of q[key]) {
        const problem = patternProblem(item);
        if (problem) issues.push({ file, line: fieldLine(key), message: `"${q.id}" ${key}: ${problem}` });
      }
    }
    out.push({ id: q.id, lang: q.lang, q: q.q, kind: q.kind, expect: q.expect, forbid: q.forbid, line });
  });
  if (issues.length > 0) throw new KnowledgeError(issues, 'eval');
  return out;
}

/** `/…/flags` is a pattern; anything else a phrase. */
export function asPattern(item: string): RegExp | null {
  const m = /^\/(.+)\/([a-z]*)$/s.exec(item);
  return m ? new RegExp(m[1] ?? '', m[2]) : null;
}

function patternProblem(item: string): string | null {
  try {
    asPattern(item);
    return null;
  } catch (err) {
    return `not a valid pattern ${item}: ${(err as Error).message}`;
  }
}
