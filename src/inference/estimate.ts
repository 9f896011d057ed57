// Honest waiting (issue 13 §3): when will a queued question's answer be ready, from the measured
// time of an answer and the slots there are. Pure, apart from the running mean it keeps.

/**
 * A session can take an answer this long after its question: AT ends a session ~180 s after it
 * began (shared/research/at-protocol.md), and the question comes a few hops in. Longer waits are
 * told to come by SMS or at the next dial.
 */
export const IN_SESSION_MS = 120_000;

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
