// Reads KNOWLEDGE_DIR with async fs (off the event loop: it runs again while hops are served) and
// parses every file: `<lang>/*.md` are the passages; a top-level README.md is documentation; any
// other Markdown file outside a language folder is a problem, so a misplaced file is not silently
// left out. Every problem in every file is collected and thrown together (KnowledgeError).
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KnowledgeError, type KnowledgeIssue } from '../errors.ts';
import { parseKnowledgeFile } from './parse.ts';
import type { Passage } from './types.ts';

export interface LoadedKnowledge {
  passages: Passage[];
  warnings: KnowledgeIssue[];
  /** Files read, e.g. `en/malaria.md`. */
  files: string[];
}

const LANG_DIR = /^[a-z]{2,3}$/;

/** Loads and checks every knowledge file under `dir`. Throws KnowledgeError naming each problem. */
export async function loadKnowledge(dir: string, maxTokens: number): Promise<LoadedKnowledge> {
  const problems: KnowledgeIssue[] = [];
  const warnings: KnowledgeIssue[] = [];
  const passages: Passage[] = [];
  const files: string[] = [];
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    throw new KnowledgeError([
      { file: dir, line: 0, message: `cannot read the knowledge directory: ${(err as Error).message}` },
    ]);
  }
  const langs: string[] = [];
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (e.isDirectory() && !e.name.startsWith('.')) {
      if (LANG_DIR.test(e.name)) langs.push(e.name);
      else
        problems.push({
          file: e.name,
          line: 0,
          message: 'not a language folder: name folders by language code (en, sw)',
        });
    } else if (e.isFile() && /\.md$/i.test(e.name) && e.name.toLowerCase() !== 'readme.md') {
      problems.push({ file: e.name, line: 0, message: 'outside a language folder: move it to en/, sw/ …' });
    }
  }
  for (const lang of langs) {
    let names: string[];
    try {
      names = (await readdir(join(dir, lang), { withFileTypes: true }))
        .filter((e) => e.isFile() && /\.md$/i.test(e.name))
        .map((e) => e.name)
        .sort();
    } catch (err) {
      problems.push({ file: lang, line: 0, message: `cannot read: ${(err as Error).message}` });
      continue;
    }
    for (const name of names) {
      const file = `${lang}/${name}`;
      let bytes: Buffer;
      try {
        bytes = await readFile(join(dir, lang, name));
      } catch (err) {
        // Removed between the listing and the read (an editor saving): the next change event reloads.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        problems.push({ file, line: 0, message: `cannot read: ${(err as Error).message}` });
        continue;
      }
      files.push(file);
      const text = bytes.toString('utf8');
      const bad = text.indexOf('\uFFFD');
      if (bad >= 0) {
        const line = text.slice(0, bad).split('\n').length;
        problems.push({ file, line, message: 'not UTF-8 text: save the file as UTF-8' });
        continue;
      }
      const parsed = parseKnowledgeFile(text.replace(/^\uFEFF/, ''), file, lang, maxTokens);
      problems.push(...parsed.problems);
      warnings.push(...parsed.warnings);
      passages.push(...parsed.passages);
    }
  }
  if (problems.length > 0) throw new KnowledgeError(problems);
  return { passages, warnings, files };
}
