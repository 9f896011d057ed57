// Honest waiting (issue 13 §3): when will a queued question's answer be ready, from the measured
// time of an answer and the slots there are. Pure, apart from the running mean it keeps.

/** AT ends a session this long after it began (shared/research/at-protocol.md §3, Kenya's telcos). */
export const AT_SESSION_MS = 180_000;
/**
 * An answer must be ready this long before its session ends to be waited for in it: the asker
 * still has to press "1. Get answer" and read the page before AT cuts the session.
 */
export const SESSION_MARGIN_MS = 10_000;
/**
 * For a session whose start is not known (stored before it was kept): an answer this long after
 * its question is still waited for in the session, as before.
 */
export const IN_SESSION_MS = 120_000;

/** Whether an answer expected at `etaAt` can be waited for in its session (issue 13 §3). */
export function inSession(etaAt: number, now: number, sessionEndsAt: number | undefined): boolean {
  if (sessionEndsAt === undefined) return etaAt - now <= IN_SESSION_MS;
  return etaAt <= sessionEndsAt - SESSION_MARGIN_MS;
}

export interface Backlog {
  /** Questions queued or being answered ahead of this one, across every replica. */
  ahead: number;
  /** Generations that can run at once on the usable hosts. */
  slots: number;
  /** Mean time of one answer, as measured. */
  answerMs: number;
}

/** Milliseconds from now until this question's answer is done: its turn, then its own answer. */
export function etaMs({ ahead, slots, answerMs }: Backlog): number {
  const s = Math.max(1, slots);
  const turns = Math.max(0, ahead - s + 1);
  return (turns * answerMs) / s + answerMs;
}

/** Whole minutes to tell a person, at least 1. */
export function minutesOf(ms: number): number {
  return Math.max(1, Math.ceil(ms / 60_000));
}

/** The mean time of an answer, measured as answers end (an exponential moving mean). */
export function createAnswerClock(priorMs: number) {
  let mean = priorMs;
  let measured = 0;
  return {
    observe(ms: number): void {
      if (!Number.isFinite(ms) || ms <= 0) return;
      // The first answers count most, so the prior is gone after a handful.
      const weight = Math.max(0.1, 1 / (measured + 1));
      mean = measured === 0 ? ms : mean + weight * (ms - mean);
      measured += 1;
    },
    meanMs: () => mean,
  };
}
