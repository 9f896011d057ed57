// The in-session wait's bookkeeping: the hops of this process waiting on their question's first
// screen, and who wants its later progress. Fed by the queue's progress events, from whichever
// replica's worker answers (issue 13). It must not decide what the phone is shown at the deadline:
// answerer.ts does.
import type { JobQueue } from '../queue/types.ts';
import type { AnswerProgress } from '../types.ts';
import type { QuestionJob, QuestionProgress, QuestionResult } from './worker.ts';

export interface Waiter {
  /** The hop has its answer (the first screen, or what stood at its deadline). */
  answered: boolean;
  /** The answer so far, before the first screen filled. */
  latest: AnswerProgress | null;
  first(p: AnswerProgress): void;
  later(p: AnswerProgress): void;
}

/** The waiters by question id, kept up to date from `queue`'s progress. */
export function createWaiters(queue: JobQueue<QuestionJob, QuestionResult>): Map<string, Waiter> {
  const waiters = new Map<string, Waiter>();
  queue.onProgress((id, data) => {
    const w = waiters.get(id);
    const { p, first } = (data ?? {}) as Partial<QuestionProgress>;
    if (!w || !p) return;
    if (w.answered) w.later(p);
    else if (first || p.done) {
      w.answered = true;
      w.first(p);
    } else w.latest = p;
    if (p.done) waiters.delete(id);
  });
  return waiters;
}
