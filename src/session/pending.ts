// The rules of a phone's pending answer (issue 13 §3), in one place for both session drivers: the
// memory driver runs them in JS, the Redis driver in the same order in Lua (pending-scripts.ts).
// Pure.
import type { Delivery, PendingAnswer } from '../types.ts';
import type { PendingPatch } from './types.ts';

/** A pending answer is kept this long for the next dial: a day. */
export const PENDING_TTL_SECONDS = 86_400;

/** Whether `current` keeps a new question `id` out: it is another, unanswered, recent question. */
export function blocks(current: PendingAnswer | null, id: string, now: number, staleMs: number): boolean {
  if (current === null || current.id === id) return false;
  return current.answer === undefined && current.read === undefined && now - current.at < staleMs;
}

/** `current` with `patch` merged, or null when `current` is not the question `id`. */
export function patched(
  current: PendingAnswer | null,
  id: string,
  patch: PendingPatch,
): PendingAnswer | null {
  if (current === null || current.id !== id) return null;
  return { ...current, ...patch };
}

/** `current` marked read, or null when it is not `id` or was read already. */
export function markedRead(current: PendingAnswer | null, id: string, how: Delivery): PendingAnswer | null {
  if (current === null || current.id !== id || current.read !== undefined) return null;
  return { ...current, read: how };
}
