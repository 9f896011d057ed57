// Builds PAYMENTS_MODE's driver for the composition root (main.ts) and the tests that start a
// gateway the same way: intent, or M-Pesa (Daraja's client, the payments over the records store,
// the callback route at MPESA_CALLBACK_URL's path). What it maps from the config is settings.ts's.
import type { Hono } from 'hono';
import type { Config } from '../config.ts';
import type { InteractionLog } from '../log/types.ts';
import type { Logger } from '../logger.ts';
import type { RecordsStore } from '../records/types.ts';
import type { SessionStore } from '../session/types.ts';
import { mpesaCallbackMount, mpesaClientOptions, mpesaGuard, mpesaPaymentsOptions } from '../settings.ts';
import { createMpesaCallbackRoutes } from './callback-route.ts';
import { createMpesaPayments, type MpesaPayments, type MpesaPaymentsOptions } from './checkout.ts';
import { createIntentPayments } from './intent.ts';
import { createMpesaClient, type MpesaOptions } from './mpesa.ts';
import type { Payments } from './types.ts';

export interface PaymentsSetupDeps {
  records: RecordsStore;
  log: InteractionLog;
  store: Pick<SessionStore, 'cacheProfile'>;
  logger: Logger;
  hashPhone: (phone: string) => string;
  /** Tests only: the client's and the payments' knobs (a shorter pause, a fake's clock). */
  client?: Partial<MpesaOptions>;
  tuning?: Partial<
    Pick<MpesaPaymentsOptions, 'pushDelayMs' | 'sweepEveryMs' | 'expireAfterMs' | 'queryAfterMs'>
  >;
}

export function setUpPayments(
  config: Config,
  deps: PaymentsSetupDeps,
): { payments: Payments; mpesa: MpesaPayments | null; mounts: [string, Hono][] } {
  if (config.PAYMENTS_MODE !== 'mpesa') return { payments: createIntentPayments(), mpesa: null, mounts: [] };
  const { records, log, store, logger } = deps;
  const mpesa = createMpesaPayments({
    ...mpesaPaymentsOptions(config),
    money: createMpesaClient({ ...mpesaClientOptions(config), ...deps.client }),
    records,
    log,
    // The cached profile is forgotten: the next hop reads the outcome from the records store.
    notify: (phoneHash) => store.cacheProfile(phoneHash, null),
    hashPhone: deps.hashPhone,
    logger,
    ...deps.tuning,
  });
  const callback = mpesaCallbackMount(config);
  const routes = createMpesaCallbackRoutes({
    secret: callback.secret,
    ...mpesaGuard(config),
    callback: mpesa.callback,
    logger,
  });
  return { payments: mpesa, mpesa, mounts: [[callback.prefix, routes]] };
}
