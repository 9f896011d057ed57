// The curated FAQ beside the menus (menus/faq.yaml): question variants → answer, per language.
// A match answers at once and still works when the model is down (issue 4). Loaded and checked
// once at boot; every problem is reported together, keyed by file and entry path (MenuError).
// It must not call the model or rewrite answers: what the operator wrote is what the phone shows.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { MenuError, type MenuIssue } from '../errors.ts';
import { paginate } from '../screen/fit.ts';
import { isGsm } from '../screen/gsm7.ts';
import type { Lang } from '../types.ts';
import { normalizeQuestion } from './cache.ts';
import type { Faq } from './types.ts';

export interface FaqEntry {
  q: Record<Lang, string[]>;
  a: Record<Lang, string>;
}

export interface FaqOptions {
  /** Septets of one answer page (the screen minus its options). Default 160. */
  pageSeptets?: number;
  /** Longest answer, in pages. Default 3. */
  maxPages?: number;
  /** A missing file is an empty FAQ instead of an error. */
  optional?: boolean;
}

const LANG = z.string().regex(/^[a-z]{2,3}$/, 'a language code such as en or sw');
const SCHEMA = z
  .object({
    faq: z.array(
      z.strictObject({
        q: z.record(LANG, z.array(z.string().trim().min(1, 'must not be empty')).min(1, 'needs a variant')),
        a: z.record(LANG, z.string().trim().min(1, 'must not be empty')),
      }),
    ),
  })
  .strict();

/**
 * Reads and checks a FAQ file (null: no FAQ). Throws MenuError naming the file, entry and field of
 * each problem.
 */
export function loadFaq(file: string | null, opts: FaqOptions = {}): Faq {
  if (file === null) return createFaq([]);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (opts.optional && (err as NodeJS.ErrnoException).code === 'ENOENT') return createFaq([]);
    throw new MenuError([{ file, path: '', message: `cannot read: ${(err as Error).message}` }]);
  }
  return createFaq(parseFaq(text, file, opts));
}

/** Parses and checks FAQ YAML text; `file` only names the source in problems. */
export function parseFaq(text: string, file: string, opts: FaqOptions = {}): FaqEntry[] {
  const { pageSeptets = 160, maxPages = 3 } = opts;
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new MenuError([{ file, path: '', message: `not valid YAML: ${(err as Error).message}` }]);
  }
  const parsed = SCHEMA.safeParse(doc ?? {});
  if (!parsed.success) {
    throw new MenuError(
      parsed.error.issues.map((i) => ({ file, path: formatPath(i.path), message: i.message })),
    );
  }
  const issues: MenuIssue[] = [];
  const seen = new Map<string, string>();
  const entries = parsed.data.faq.map((raw, index): FaqEntry => {
    const a: Record<Lang, string> = {};
    const q: Record<Lang, string[]> = {};
    if (Object.keys(raw.a).length === 0)
      issues.push({ file, path: `faq[${index}].a`, message: 'needs an answer' });
    for (const [lang, answer] of Object.entries(raw.a)) {
      const path = `faq[${index}].a.${lang}`;
      a[lang] = answer.replace(/\s+/g, ' ');
      if (!isGsm(a[lang])) {
        const bad = [...a[lang]].filter((ch) => !isGsm(ch)).join('');
        issues.push({ file, path, message: `not GSM-7 (phones cannot show ${JSON.stringify(bad)})` });
      } else if (paginate(a[lang], pageSeptets).length > maxPages) {
        issues.push({ file, path, message: `longer than ${maxPages} pages of ${pageSeptets} septets` });
      }
    }
    for (const [lang, variants] of Object.entries(raw.q)) {
      q[lang] = variants;
      variants.forEach((variant, v) => {
        const path = `faq[${index}].q.${lang}[${v}]`;
        const norm = normalizeQuestion(variant);
        const other = seen.get(`${lang}:${norm}`);
        if (norm === '') issues.push({ file, path, message: 'has no letters or digits' });
        else if (other !== undefined) issues.push({ file, path, message: `same question as ${other}` });
        else seen.set(`${lang}:${norm}`, path);
      });
    }
    return { q, a };
  });
  if (issues.length > 0) throw new MenuError(issues);
  return entries;
}

/**
 * A Faq over checked entries. The user's language is tried first, then the others (a Swahili
 * menu user may type English); the answer is in the user's language when the entry has it.
 */
export function createFaq(entries: FaqEntry[]): Faq {
  const byLang = new Map<Lang, Map<string, FaqEntry>>();
  for (const entry of entries) {
    for (const [lang, variants] of Object.entries(entry.q)) {
      const map = byLang.get(lang) ?? new Map<string, FaqEntry>();
      for (const v of variants) map.set(normalizeQuestion(v), entry);
      byLang.set(lang, map);
    }
  }
  return {
    size: entries.length,
    match(question, lang) {
      const norm = normalizeQuestion(question);
      if (norm === '') return null;
      const entry =
        byLang.get(lang)?.get(norm) ??
        [...byLang.values()].map((m) => m.get(norm)).find((e) => e !== undefined);
      if (!entry) return null;
      return entry.a[lang] ?? entry.a['en'] ?? Object.values(entry.a)[0] ?? null;
    },
  };
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)),
    '',
  );
}
