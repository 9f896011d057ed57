// What the knowledge base did for the questions of a window (issue 18): how many model questions
// had passages, which passages answer most, and which questions found none: the content team's
// to-do list. Read-only queries over questions.passages (log migration 5). No writes, no clock.

import type { Database } from 'better-sqlite3';
import { flag } from './sql.ts';
import { normaliseQuestion, type TopicCount, topCounts } from './topics.ts';

export interface KnowledgeFigures {
  /** Questions whose prompt the knowledge base was asked for (model answers, with a base). */
  asked: number;
  /** Of those, the ones that had at least one passage. */
  grounded: number;
  /** Passage ids (`en/malaria.md#Heading`) by how many questions they went to. */
  topPassages: TopicCount[];
  /** Normalised questions the base had no passage for, most frequent first. */
  uncovered: TopicCount[];
}

/** Figures for questions asked in [start, end) (epoch ms). */
export function knowledgeFigures(
  db: Database,
  range: { start: number; end: number },
  top: number,
): KnowledgeFigures {
  const where = 'q.at >= @start AND q.at < @end AND q.passages IS NOT NULL';
  const params = { start: range.start, end: range.end };
  const counts = db
    .prepare(
      `SELECT count(*) AS asked, coalesce(sum(${flag("q.passages <> '[]'")}), 0) AS grounded FROM questions q WHERE ${where}`,
    )
    .get(params) as { asked: number; grounded: number };
  const topPassages = db
    .prepare(
      `SELECT j.value AS text, count(*) AS count FROM questions q, json_each(q.passages) j WHERE ${where}
       GROUP BY j.value ORDER BY count DESC, text LIMIT @top`,
    )
    .all({ ...params, top }) as TopicCount[];
  const none = db
    .prepare(`SELECT q.question FROM questions q WHERE ${where} AND q.passages = '[]'`)
    .pluck()
    .all(params) as string[];
  return { ...counts, topPassages, uncovered: topCounts(none.map(normaliseQuestion), top) };
}
