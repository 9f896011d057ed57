// The knowledge boundary (issue 18): the operator's vetted passages, one per `##` section of the
// Markdown files in KNOWLEDGE_DIR/<lang>/, and the retrieval of the few that bear on a question.
// The answer pipeline sees only this interface; sqlite.ts is the index, base.ts loads and watches.
import type { Lang } from '../types.ts';

/** One `##` section of a knowledge file. */
export interface Passage {
  /** `<lang>/<file>#<heading>`: what the log and the report name it by. */
  id: string;
  lang: Lang;
  /** Path inside KNOWLEDGE_DIR, e.g. `en/malaria.md`. */
  file: string;
  heading: string;
  /** Line of its `##` heading. */
  line: number;
  /** Plain text, one paragraph, as the model is given it (its Source lines are not). */
  text: string;
  /** The URLs of its `Source:` lines. */
  sources: readonly string[];
  /** Its `Keywords:` lines' words: searched, not shown to the model. */
  keywords: readonly string[];
  /** Estimated tokens of heading and text (terms.ts estimateTokens). */
  tokens: number;
}

export interface RetrievedPassage extends Passage {
  /** Share (0..1) of the question's weight the passage matches: see sqlite.ts. */
  relevance: number;
}

export interface Retrieval {
  /** The language the passages were taken from: the question's, or the session's when unclear. */
  lang: Lang;
  passages: RetrievedPassage[];
}

/** How much goes into one prompt (KNOWLEDGE_MAX_PASSAGES, KNOWLEDGE_MAX_TOKENS, KNOWLEDGE_MIN_RELEVANCE). */
export interface RetrievalBounds {
  maxPassages: number;
  /** Estimated tokens of all passages together. */
  maxTokens: number;
  /** 0..1: a passage matching less of the question is left out, however few the others. */
  minRelevance: number;
}

export interface Knowledge {
  /** The best passages for a question, within the bounds; synchronous and sub-millisecond. */
  retrieve(question: string, lang: Lang): Retrieval;
  /** Changes whenever the indexed content does (the answer cache keys on it). */
  readonly version: string;
  /** Passages indexed, per language. */
  readonly counts: Readonly<Record<Lang, number>>;
  /** Reads and re-indexes the directory now; a broken file keeps the previous index (and throws). */
  reload(): Promise<void>;
  /** Stops watching and frees the index. */
  close(): Promise<void>;
}
