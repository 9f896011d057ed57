// The intent driver (PAYMENTS_MODE=intent, the default for pilots): accepting the offer is
// recorded as intent and lifts the quota at once, no money moves (engine/offer.ts acceptOffer).
// The engine never asks it for a payment; it exists so the composition root always has one.
import { PaymentRecordError } from '../errors.ts';
import type { Payments } from './types.ts';

export function createIntentPayments(): Payments {
  return {
    mode: 'intent',
    request: () => Promise.reject(new PaymentRecordError('PAYMENTS_MODE=intent takes no payments')),
    close: () => Promise.resolve(),
  };
}
