// The rules of a phone's pending answers (issue 13 §3), in one place for both session drivers: the
// memory driver runs them in JS, the Redis driver in the same order in Lua (pending-scripts.ts).
// A phone has one question being answered at a time; a second waits behind it (`next`, its job
// held until the first is answered) and a third is refused. One record per phone: the first
// question, with the second nested in it. Pure.
import type { Delivery, PendingAnswer } from '../types.ts';
import type { PendingClaim, PendingPatch } from './types.ts';

/** A pending answer is kept this long for the next dial: a day. */
export const PENDING_TTL_SECONDS = 86_400;

/** Whether `current` keeps a new question `id` out: it is another, unanswered, recent question. */
export function blocks(current: PendingAnswer | null, id: string, now: number, staleMs: number): boolean {
  if (current === null || current.id === id) return false;
  return current.answer === undefined && current.read === undefined && now - current.at < staleMs;
}

/** The record's questions in the order asked: the first, then the one waiting behind it. */
export function entries(record: PendingAnswer | null): PendingAnswer[] {
  if (record === null) return [];
  const { next, ...first } = record;
  return next ? [first, next] : [first];
}

/** The question `id` of the record, without its `next`. */
export function entryOf(record: PendingAnswer | null, id: string): PendingAnswer | null {
  return entries(record).find((e) => e.id === id) ?? null;
}

/** The answer a dial offers first: the oldest done, not failed and not read. */
export function offered(record: PendingAnswer | null): PendingAnswer | null {
  return (
    entries(record).find((e) => e.answer?.done && e.answer.failure === undefined && e.read === undefined) ??
    null
  );
}

/**
 * A new question `pending` against the phone's record: claimed (it runs now, and replaces what is
 * over), behind (it waits for the unanswered question ahead of it), or blocked (two are waiting
 * already). `record` is what to write, null when nothing changes.
 */
export function claimed(
  current: PendingAnswer | null,
  pending: PendingAnswer,
  now: number,
  staleMs: number,
): { claim: PendingClaim; record: PendingAnswer | null } {
  const stillOn = (e: PendingAnswer | undefined) => e !== undefined && blocks(e, pending.id, now, staleMs);
  // The first question is over (answered, read, stale): the one behind it is the first now.
  let head = current;
  if (head && !stillOn(head)) head = head.next ?? null;
  if (head && stillOn(head)) {
    if (head.next && head.next.id !== pending.id && stillOn(head.next))
      return { claim: { status: 'blocked', other: head.next }, record: null };
    const { next: _next, ...ahead } = head;
    return { claim: { status: 'behind', ahead }, record: { ...ahead, next: pending } };
  }
  return { claim: { status: 'claimed' }, record: pending };
}

/** `current` with `patch` merged into its question `id`; null when it has no such question. */
export function patched(
  current: PendingAnswer | null,
  id: string,
  patch: PendingPatch | Pick<PendingAnswer, 'read'>,
): PendingAnswer | null {
  if (current === null) return null;
  if (current.id === id) return { ...current, ...patch };
  if (current.next?.id === id) return { ...current, next: { ...current.next, ...patch } };
  return null;
}

/** `current` with its question `id` marked read; null when it has none or it was read already. */
export function markedRead(current: PendingAnswer | null, id: string, how: Delivery): PendingAnswer | null {
  const entry = entryOf(current, id);
  if (entry === null || entry.read !== undefined) return null;
  return patched(current, id, { read: how });
}

/** `current` without its question `id` (the one behind the first moves up); unchanged if none. */
export function dropped(current: PendingAnswer | null, id: string): PendingAnswer | null {
  if (current === null) return null;
  if (current.id === id) return current.next ?? null;
  if (current.next?.id === id) {
    const { next: _next, ...first } = current;
    return first;
  }
  return current;
}
