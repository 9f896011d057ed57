// The paid tier's rules for the engine (issue 14), pure: whether the phone is subscribed, what
// accepting the offer asks for in each payments mode, which payment outcome the next dial shows,
// and the funnel's events logged once per session. step.ts moves between screens with them.
import type { PaymentNotice } from '../types.ts';
import type { Effect, EngineState, FunnelEvent, OfferScreen, OfferVia, Plan, StepContext } from './types.ts';

const DAY_MS = 86_400_000;

/**
 * A payment asked for this recently and still pending is not asked for again: the phone has the
 * prompt (or is about to; Daraja's prompt lasts about a minute, then 1037 comes back), and a second
 * push would be a second prompt, maybe a second payment. Older than this, the query sweep has
 * asked Daraja about it and the user may try again.
 */
export const PENDING_HOLD_MS = 3 * 60_000;

export function subscribed(ctx: StepContext): boolean {
  return (ctx.profile.subscribedUntil ?? 0) > ctx.now;
}

/** The phone's latest payment has no verdict yet: {plan} says so (issue 14). */
export function paymentPending(ctx: StepContext): boolean {
  return ctx.profile.payment?.status === 'pending' && !subscribed(ctx);
}

/**
 * Pending and asked for within PENDING_HOLD_MS: accepting the offer would ask for nothing (no
 * second push), so the phone is told the payment is awaited instead of being offered it again.
 */
export function paymentAwaited(ctx: StepContext): boolean {
  const payment = ctx.profile.payment;
  return paymentPending(ctx) && payment !== undefined && ctx.now - payment.at < PENDING_HOLD_MS;
}

/** The plan a menu's `showTo` is matched against. */
export function planOf(ctx: StepContext): Plan {
  return subscribed(ctx) ? 'subscribed' : 'free';
}

/** A payment's outcome the phone has not been shown yet: the next dial opens on it. */
export function unseenOutcome(ctx: StepContext): PaymentNotice | null {
  const payment = ctx.profile.payment;
  if (!payment || payment.status === 'pending' || payment.id === ctx.profile.paymentSeen) return null;
  // A payment confirmed that has since run out is old news.
  if (payment.status === 'paid' && !subscribed(ctx)) return null;
  return payment;
}

/** What accepting the offer does: the screen shown next and the effects asked for. */
export function acceptOffer(screen: OfferScreen, ctx: StepContext): { next: string; effects: Effect[] } {
  if (ctx.payments === 'intent') {
    // Intent (the pilot's default): no money moves, the quota is lifted at once.
    const until = Math.max(ctx.now, ctx.profile.subscribedUntil ?? 0) + ctx.days * DAY_MS;
    return { next: screen.accepted, effects: [{ type: 'subscribe', until }] };
  }
  const next = screen.paying ?? screen.accepted;
  if (paymentAwaited(ctx)) return { next, effects: [] };
  return { next, effects: [{ type: 'pay', offer: screen.id }] };
}

/** The tier events not yet logged in this session, and the state that remembers them. */
export function logOnce(
  state: EngineState,
  events: readonly { event: FunnelEvent; via?: OfferVia }[],
): { state: EngineState; effects: Effect[] } {
  const logged = state.funnel ?? [];
  const fresh = events.filter((e) => !logged.includes(e.event));
  if (fresh.length === 0) return { state, effects: [] };
  return {
    state: { ...state, funnel: [...logged, ...fresh.map((e) => e.event)] },
    effects: fresh.map((e) => ({ type: 'tier', event: e.event, ...(e.via ? { via: e.via } : {}) })),
  };
}
