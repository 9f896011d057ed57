// The knowledge index: SQLite FTS5 in an in-memory better-sqlite3 database (no disk at all, so a
// query on the hop's path is CPU only: microseconds for a base of this size, README "Knowledge
// base"). One table per language, because the tokenizer differs: English gets the Porter stemmer
// ("nets" finds "net"), which is English-only, so every other language (Swahili) gets plain
// unicode61 with prefix queries instead ("chandarua*" finds "chandarua"'s suffixed forms); both
// remove diacritics (https://sqlite.org/fts5.html §4.3; shared/research/capacity-grounding.md §5).
// A third, hidden column holds a passage's Keywords and, for Swahili, the stems of its words
// (stem.ts), which the question's terms are also matched against in their stemmed form.
// Built whole and never written again: a change of the files builds a new index (base.ts).
import BetterSqlite3 from 'better-sqlite3';
import type { Lang } from '../types.ts';
import { stemSwahili } from './stem.ts';
import { normalizeText } from './terms.ts';
import type { Passage, RetrievalBounds, RetrievedPassage } from './types.ts';

export interface KnowledgeIndex {
  /** Passages for these query terms (terms.ts queryTerms) in `lang`, best first, within `bounds`. */
  search(terms: readonly string[], lang: Lang, bounds: RetrievalBounds): RetrievedPassage[];
  readonly counts: Readonly<Record<Lang, number>>;
  close(): void;
}

/** BM25's best, looked at for the floor and the budget: a prompt takes a handful at most. */
const CANDIDATES = 24;
/**
 * A passage matching much less of the question than the best one is a distraction rather than a
 * help to a small model (shared/research/capacity-grounding.md §5): it must match at least this
 * share of what the best one matches ("ORS at home" takes "Home-made ORS", not the passage that
 * mentions spraying homes).
 */
const RELATIVE_FLOOR = 0.6;
/**
 * BM25 column weights: the heading names the topic in few words, so a match there counts three
 * times one in the text; keywords are the author's own synonyms, twice.
 */
const WEIGHTS = { heading: 3, text: 1, extra: 2 };

export function createFtsIndex(passages: readonly Passage[]): KnowledgeIndex {
  const db = new BetterSqlite3(':memory:');
  const byLang = new Map<Lang, Passage[]>();
  for (const p of passages) byLang.set(p.lang, [...(byLang.get(p.lang) ?? []), p]);
  const tables = new Map<
    Lang,
    { rows: Passage[]; docs: BetterSqlite3.Statement; ranked: BetterSqlite3.Statement }
  >();
  for (const [lang, rows] of byLang) {
    // Language codes are checked as [a-z]{2,3} (load.ts), so they are safe in a table name.
    const table = `passages_${lang}`;
    const tokenizer =
      lang === 'en' ? 'porter unicode61 remove_diacritics 2' : 'unicode61 remove_diacritics 2';
    db.exec(`CREATE VIRTUAL TABLE ${table} USING fts5(heading, text, extra, tokenize = '${tokenizer}')`);
    const insert = db.prepare(`INSERT INTO ${table} (rowid, heading, text, extra) VALUES (?, ?, ?, ?)`);
    db.transaction(() => {
      rows.forEach((p, i) => {
        insert.run(i + 1, p.heading, p.text, extraColumn(p));
      });
    })();
    tables.set(lang, {
      rows,
      docs: db.prepare(`SELECT rowid FROM ${table} WHERE ${table} MATCH ?`).pluck(),
      ranked: db.prepare(
        `SELECT rowid, bm25(${table}, ${WEIGHTS.heading}, ${WEIGHTS.text}, ${WEIGHTS.extra}) AS score FROM ${table}
         WHERE ${table} MATCH ? ORDER BY score LIMIT ${CANDIDATES}`,
      ),
    });
  }
  const counts = Object.fromEntries([...byLang].map(([lang, rows]) => [lang, rows.length]));

  return {
    counts,
    search(terms, lang, bounds) {
      const t = tables.get(lang);
      if (!t || terms.length === 0 || bounds.maxPassages <= 0) return [];
      const phrases = terms.map((term) => phrase(term, lang));
      // Relevance: the share of the question's weight a passage matches, each term weighted by its
      // BM25 inverse document frequency. A term no passage has weighs most, so "how do I store my
      // phone" matches the maize-storage passage on "store" alone and stays under the floor,
      // whatever the size of the base (a raw bm25() score has no fixed scale to put a floor on).
      const n = t.rows.length;
      const matched = phrases.map((p) => new Set(t.docs.all(p) as number[]));
      const weights = matched.map((docs) => Math.log(1 + (n - docs.size + 0.5) / (docs.size + 0.5)));
      const total = weights.reduce((a, b) => a + b, 0);
      // Most of the question first, then BM25 (term frequency, length, the heading's weight) among
      // equals: "prevent malaria" puts the malaria passages before "Preventing diarrhoea".
      const candidates = (t.ranked.all(phrases.join(' OR ')) as { rowid: number; score: number }[])
        .map(({ rowid, score }) => {
          const weight = matched.reduce((sum, docs, i) => sum + (docs.has(rowid) ? (weights[i] ?? 0) : 0), 0);
          return { passage: t.rows[rowid - 1], score, relevance: total > 0 ? weight / total : 0 };
        })
        .sort((a, b) => b.relevance - a.relevance || a.score - b.score);
      const out: RetrievedPassage[] = [];
      let tokens = 0;
      const best = candidates[0]?.relevance ?? 0;
      for (const { passage, relevance } of candidates) {
        if (!passage || relevance < bounds.minRelevance || relevance < best * RELATIVE_FLOOR) continue;
        if (tokens + passage.tokens > bounds.maxTokens) continue;
        out.push({ ...passage, relevance });
        tokens += passage.tokens;
        if (out.length >= bounds.maxPassages) break;
      }
      return out;
    },
    close: () => db.close(),
  };
}

/** Keywords, and for a language without the Porter stemmer the stems of all its words. */
function extraColumn(p: Passage): string {
  const words = p.keywords.join(' ');
  if (p.lang === 'en') return words;
  const all = normalizeText(`${p.heading} ${p.text} ${words}`).split(' ');
  const stems = [...new Set(all.map(stemSwahili).filter((s, i) => s !== all[i]))];
  return `${words} ${stems.join(' ')}`.trim();
}

/**
 * One term as an FTS5 query: terms hold only letters and digits (terms.ts), so quoting cannot be
 * escaped. Without Porter, a longer term also matches as a prefix, and as its stem.
 */
function phrase(term: string, lang: Lang): string {
  if (lang === 'en') return `"${term}"`;
  const forms = [...new Set([term, stemSwahili(term)])];
  const each = forms.map((f) => (f.length >= 4 ? `"${f}"*` : `"${f}"`));
  return each.length === 1 ? (each[0] ?? '') : `(${each.join(' OR ')})`;
}
