// The knowledge base the gateway runs with: KNOWLEDGE_DIR read (async), checked and indexed at
// start-up, where a broken file is a KnowledgeError (main exits 1, naming it); then re-read and
// re-indexed whenever a file is added, changed or removed. A broken file while running keeps the
// previous index serving and is logged with its file and line: a typo must not empty the base.
// The index is swapped whole, between two synchronous retrievals, so none ever sees half of one.
import { createHash } from 'node:crypto';
import { KnowledgeError, type KnowledgeIssue } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { Lang } from '../types.ts';
import { guessLanguage } from './language.ts';
import { loadKnowledge } from './load.ts';
import { createFtsIndex, type KnowledgeIndex } from './sqlite.ts';
import { queryTerms } from './terms.ts';
import type { Knowledge, Passage, RetrievalBounds } from './types.ts';
import { type DirectoryWatch, watchDirectory } from './watch.ts';

export interface KnowledgeOptions {
  dir: string;
  bounds: RetrievalBounds;
  logger: Logger;
  /** Re-index on changes (default true; the CLIs read once). */
  watch?: boolean;
  /** Quiet time after the last change event before re-reading (default 150 ms). */
  debounceMs?: number;
}

export interface OpenedKnowledge extends Knowledge {
  /** Of the last successful load: passages unlikely to serve well (parse.ts). */
  readonly warnings: readonly KnowledgeIssue[];
  /** Of the last successful load: reading and parsing the files, and building the index. */
  readonly timings: { readMs: number; indexMs: number };
  readonly passages: readonly Passage[];
}

/** Loads, checks and indexes `dir`; throws KnowledgeError when a file is broken. */
export async function openKnowledge(opts: KnowledgeOptions): Promise<OpenedKnowledge> {
  const { dir, bounds, logger } = opts;
  let state = await build(dir, bounds.maxTokens);
  let running: Promise<void> | null = null;
  let again = false;
  let closed = false;

  async function reloadOnce(): Promise<void> {
    const next = await build(dir, bounds.maxTokens);
    if (closed) return next.index.close();
    const before = state;
    state = next;
    before.index.close();
    logger.info(
      { passages: next.passages.length, ...next.timings, version: next.version },
      '[knowledge] re-indexed',
    );
  }

  /** One reload at a time; changes during one are picked up by one more after it. */
  function reload(): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await reloadOnce();
        } while (again && !closed);
      } finally {
        running = null;
      }
    })();
    return running;
  }

  const watcher: DirectoryWatch | null =
    opts.watch === false
      ? null
      : await watchDirectory(
          dir,
          () => {
            reload().catch((err: unknown) => {
              const problems = err instanceof KnowledgeError ? err.issues : undefined;
              logger.error(
                { err: problems ? undefined : err, problems },
                `[knowledge] not re-indexed, the previous passages still serve: ${(err as Error).message}`,
              );
            });
          },
          opts.debounceMs,
        );

  return {
    retrieve(question: string, lang: Lang) {
      // The model answers in the question's language (prompt.ts), so its passages are in it too;
      // a question too short to tell takes the session's language.
      const guessed = guessLanguage(question);
      const from = guessed !== null && (state.index.counts[guessed] ?? 0) > 0 ? guessed : lang;
      return { lang: from, passages: state.index.search(queryTerms(question), from, bounds) };
    },
    get version() {
      return state.version;
    },
    get counts() {
      return state.index.counts;
    },
    get warnings() {
      return state.warnings;
    },
    get timings() {
      return state.timings;
    },
    get passages() {
      return state.passages;
    },
    reload,
    async close() {
      closed = true;
      watcher?.close();
      await running?.catch(() => {});
      state.index.close();
    },
  };
}

interface State {
  index: KnowledgeIndex;
  passages: Passage[];
  warnings: KnowledgeIssue[];
  version: string;
  timings: { readMs: number; indexMs: number };
}

async function build(dir: string, maxTokens: number): Promise<State> {
  const t0 = performance.now();
  const loaded = await loadKnowledge(dir, maxTokens);
  const t1 = performance.now();
  const index = createFtsIndex(loaded.passages);
  const t2 = performance.now();
  const hash = createHash('sha256');
  for (const p of loaded.passages) hash.update(`${p.id}\n${p.text}\n`);
  return {
    index,
    passages: loaded.passages,
    warnings: loaded.warnings,
    version: hash.digest('hex').slice(0, 12),
    timings: { readMs: round(t1 - t0), indexMs: round(t2 - t1) },
  };
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
