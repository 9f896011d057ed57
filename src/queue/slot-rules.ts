// The rules of the model slots (issue 13 §2, issue 15 item 3), in one place for both SlotPool
// drivers: memory-slots.ts runs them in JS, redis-slots.ts in the same order in Lua. Pure.

/**
 * How long a slot is held without renewal: a replica that dies frees its slots after this. The
 * default of QUEUE_LEASE_MS, which main.ts gives the slots and the queue's job locks alike, so a
 * dead replica's questions and the slots they held come free together.
 */
export const SLOT_LEASE_MS = 10_000;
/** An API caller below its share, refused a slot, keeps USSD jobs off freed slots this long. */
export const API_WAIT_MS = 1_000;

/**
 * The API's share of all slots: half, rounded down, so at least one is always left for USSD. A
 * single slot is lent to the API when free, without the API's claim on freed slots (a claim there
 * would take the only slot from USSD).
 */
export function apiShare(totalSlots: number): number {
  return Math.max(1, Math.floor(totalSlots / 2));
}

export interface SlotState {
  /** Slots held per host. */
  held: readonly number[];
  /** Slots the API holds, all hosts together. */
  apiHeld: number;
  /** An API caller below its share is waiting. */
  apiWaiting: boolean;
}

/**
 * The host (index into `max`) a caller of `kind` gets among `order`, or -1. USSD takes any free
 * slot unless an API caller below its share waits for one (with two slots or more); the API takes
 * a free slot only below its share.
 */
export function pickSlot(
  state: SlotState,
  max: readonly number[],
  order: readonly number[],
  kind: 'ussd' | 'api',
  share: number,
): number {
  if (kind === 'api' && state.apiHeld >= share) return -1;
  const total = max.reduce((a, b) => a + b, 0);
  if (kind === 'ussd' && total >= 2 && state.apiWaiting && state.apiHeld < share) return -1;
  for (const host of order) if ((state.held[host] ?? 0) < (max[host] ?? 0)) return host;
  return -1;
}
