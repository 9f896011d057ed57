// Builds PAYMENTS_MODE's driver for the composition root (main.ts) and the tests that start a
// gateway the same way: intent, or M-Pesa (Daraja's client, the payments over the records store,
// the callback route at MPESA_CALLBACK_URL's path). What it maps from the config is settings.ts's.
import type { Hono } from 'hono';
import type { Config } from '../config.ts';
import { t } from '../engine/render.ts';
import type { Journey } from '../engine/types.ts';
import { localDate } from '../engine/view.ts';
import { PaymentHttpError } from '../errors.ts';
import type { InteractionLog } from '../log/types.ts';
import type { Logger } from '../logger.ts';
import type { RecordsStore } from '../records/types.ts';
import type { SessionStore } from '../session/types.ts';
import {
  mpesaCallbackMount,
  mpesaClientOptions,
  mpesaGuard,
  mpesaPaymentsOptions,
  smsOn,
} from '../settings.ts';
import { createAtSmsSender, defaultAtApiUrl } from '../sms/africastalking.ts';
import type { SmsSender } from '../sms/types.ts';
import { createMpesaCallbackRoutes } from './callback-route.ts';
import { createMpesaPayments, type MpesaPayments, type MpesaPaymentsOptions } from './checkout.ts';
import { createIntentPayments } from './intent.ts';
import { createMpesaClient, type MpesaOptions } from './mpesa.ts';
import type { MobileMoney, Payments } from './types.ts';

export interface PaymentsSetupDeps {
  journey: Journey;
  records: RecordsStore;
  log: InteractionLog;
  store: Pick<SessionStore, 'cacheProfile'>;
  logger: Logger;
  hashPhone: (phone: string) => string;
  /** The SMS sender for receipts (default: AT's when AT_USERNAME and AT_API_KEY are set, else none). */
  sms?: SmsSender | null;
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
  const sender = deps.sms === undefined ? atSender(config) : deps.sms;
  const money = createMpesaClient({ ...mpesaClientOptions(config), ...deps.client });
  void checkDaraja(money, logger);
  const mpesa = createMpesaPayments({
    ...mpesaPaymentsOptions(config),
    money,
    records,
    log,
    // The cached profile is forgotten: the next hop reads the outcome from the records store.
    notify: (phoneHash) => store.cacheProfile(phoneHash, null),
    hashPhone: deps.hashPhone,
    ...(sender ? { receipt: receiptSender(config, deps, sender) } : {}),
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

/**
 * Wrong Daraja keys would otherwise show only when a user pays (and is told M-Pesa failed): a
 * token is asked for once at start, and a refusal logged naming what to check. Never throws:
 * Daraja away at start is no reason not to serve.
 */
export async function checkDaraja(
  money: Pick<MobileMoney, 'checkCredentials'>,
  logger: Logger,
): Promise<void> {
  try {
    await money.checkCredentials();
    logger.info('[payments] Daraja gave a token: MPESA_CONSUMER_KEY and MPESA_CONSUMER_SECRET work');
  } catch (err) {
    const refused = err instanceof PaymentHttpError;
    logger.error(
      { err },
      refused
        ? '[payments] Daraja refused a token: check MPESA_CONSUMER_KEY, MPESA_CONSUMER_SECRET and MPESA_API_URL (sandbox or production); every payment fails until they are right'
        : '[payments] Daraja not reachable at start (MPESA_API_URL): payments fail while it is not',
    );
  }
}

/** AT's SMS API, as the question queue's outbox uses it (issue 13), or null when SMS is off. */
function atSender(config: Config): SmsSender | null {
  if (!smsOn(config)) return null;
  return createAtSmsSender({
    username: config.AT_USERNAME ?? '',
    apiKey: config.AT_API_KEY ?? '',
    ...(config.AT_SMS_FROM ? { from: config.AT_SMS_FROM } : {}),
    baseUrl: config.AT_API_URL ?? defaultAtApiUrl(config.AT_USERNAME ?? ''),
  });
}

/** The receipt SMS in the phone's language: the journey's `payments.receipt` text. */
function receiptSender(config: Config, deps: PaymentsSetupDeps, sender: SmsSender) {
  const { journey, records } = deps;
  const text = journey.payments?.receipt;
  return async (
    payment: { phoneHash: string; msisdn: string | null },
    paid: { receipt: string | null; subscribedUntil: number },
  ) => {
    if (!text || !payment.msisdn) return;
    const phone = await records.getPhone(payment.phoneHash, { deadline: Date.now() + 5_000 });
    const lang = phone.lang && journey.languages.includes(phone.lang) ? phone.lang : journey.defaultLanguage;
    const until = localDate(journey, lang, paid.subscribedUntil + config.TIMEZONE_OFFSET_MINUTES * 60_000);
    const values: Record<string, string> = {
      price: config.SUBSCRIPTION_PRICE,
      until,
      receipt: paid.receipt ?? '',
    };
    const body = t(text, lang).replace(/\{(price|until|receipt)\}/g, (_, name: string) => values[name] ?? '');
    // Confirmed by the status query: no receipt number to show.
    const result = await sender.send({ to: `+${payment.msisdn}`, text: body.replace(/ ?\(M-Pesa \)/, '') });
    if (result.outcome !== 'sent')
      throw new Error(`receipt SMS ${result.outcome}: ${result.error ?? result.status ?? ''}`);
  };
}
