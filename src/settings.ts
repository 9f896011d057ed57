// Config → the settings the app and the answer pipeline take. One mapping, used by the composition
// root and by the tests that build the app in-process, so the two cannot drift apart. Pure.
import type { AppDeps } from './app.ts';
import { type Config, callbackSecret } from './config.ts';
import type { BusinessFacts } from './engine/validate.ts';
import type { HttpLimits } from './http/limits.ts';
import type { AnswererOptions } from './inference/answerer.ts';
import type { RetrievalBounds } from './knowledge/types.ts';
import { priceAmount, TRANSACTION_DESC_MAX } from './payments/daraja-wire.ts';
import type { MpesaOptions } from './payments/mpesa.ts';
import { isTrustedProxy } from './protocol/guard.ts';
import type { RedisTarget } from './redis/connection.ts';

/** A fixed secret keeps hashes stable on a laptop; production must set PHONE_HASH_SECRET. */
export const DEV_PHONE_HASH_SECRET = 'ussd-ai-gateway-dev-secret-change-me';

export function appSettings(config: Config): AppDeps['settings'] {
  return {
    hopDeadlineMs: config.HOP_DEADLINE_MS,
    phoneHashSecret: config.PHONE_HASH_SECRET ?? DEV_PHONE_HASH_SECRET,
    defaultCountry: config.DEFAULT_COUNTRY,
    storePhoneNumbers: config.STORE_PHONE_NUMBERS,
    dailyQuota: config.DAILY_QUESTION_QUOTA,
    price: config.SUBSCRIPTION_PRICE,
    days: config.SUBSCRIPTION_DAYS,
    tzOffsetMinutes: config.TIMEZONE_OFFSET_MINUTES,
    hopRatePerMinute: config.HOP_RATE_PER_MINUTE,
    questionRatePerMinute: config.QUESTION_RATE_PER_MINUTE,
    payments: config.PAYMENTS_MODE,
    sessionDriver: redisTarget(config) ? 'redis' : 'memory',
    databaseDriver: config.DATABASE_URL ? 'postgres' : 'sqlite',
    smsOn: smsOn(config),
    guard: { secret: config.CALLBACK_SECRET, allowedIps: config.ALLOWED_IPS, trustProxy: config.TRUST_PROXY },
  };
}

/**
 * Where the shared Redis is (REDIS_URL, or the Sentinel group of REDIS_SENTINELS; config.ts
 * refuses both at once), or null: everything in this process.
 */
export function redisTarget(config: Config): RedisTarget | null {
  if (config.REDIS_SENTINELS.length > 0)
    return {
      sentinels: config.REDIS_SENTINELS,
      name: config.REDIS_SENTINEL_NAME ?? '',
      sentinelPassword: config.REDIS_SENTINEL_PASSWORD,
      password: config.REDIS_PASSWORD,
    };
  return config.REDIS_URL ?? null;
}

/**
 * The HTTP server's limits. Trusted proxies carry many callers and ALLOWED_IPS are AT's own
 * addresses, which carry every subscriber's hops: neither is capped per address.
 */
export function httpLimits(config: Config): HttpLimits {
  return {
    headersTimeoutMs: config.HTTP_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: config.HTTP_REQUEST_TIMEOUT_MS,
    keepAliveTimeoutMs: config.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    maxConnections: config.HTTP_MAX_CONNECTIONS,
    maxConnectionsPerAddress: config.HTTP_MAX_CONNECTIONS_PER_IP,
    exempt: exemptFromAddressCap(config),
  };
}

function exemptFromAddressCap(config: Config): (address: string) => boolean {
  const proxy = isTrustedProxy(config.TRUST_PROXY);
  const allowed = isTrustedProxy({ proxies: config.ALLOWED_IPS });
  return (address) => proxy(address) || allowed(address);
}

export function answererOptions(config: Config): AnswererOptions {
  return {
    maxConcurrent: config.OLLAMA_MAX_CONCURRENT,
    maxWaitMs: config.ANSWER_MAX_WAIT_MINUTES * 60_000,
    smsOn: smsOn(config),
    numPredict: config.OLLAMA_NUM_PREDICT,
    cacheTtlSeconds: config.ANSWER_CACHE_TTL_SECONDS,
    cacheApiAnswers: config.API_CACHE_ANSWERS,
    answerTimeoutMs: config.ANSWER_TIMEOUT_MS,
  };
}

/** SMS goes out through AT when both credentials are set (issue 13 §4). */
export function smsOn(config: Config): boolean {
  return Boolean(config.AT_USERNAME && config.AT_API_KEY);
}

/** What the journey's screens say about the offer ({quota}, {price}, {days}), checked at load. */
export function journeyFacts(config: Config): BusinessFacts {
  return {
    dailyQuota: config.DAILY_QUESTION_QUOTA,
    price: config.SUBSCRIPTION_PRICE,
    days: config.SUBSCRIPTION_DAYS,
    payments: config.PAYMENTS_MODE,
  };
}

/** How many passages of the knowledge base go into one prompt (issue 18). */
export function knowledgeBounds(config: Config): RetrievalBounds {
  return {
    maxPassages: config.KNOWLEDGE_MAX_PASSAGES,
    maxTokens: config.KNOWLEDGE_MAX_TOKENS,
    minRelevance: config.KNOWLEDGE_MIN_RELEVANCE / 100,
  };
}

/** Daraja's client, from the MPESA_* variables (PAYMENTS_MODE=mpesa; config.ts checked them). */
export function mpesaClientOptions(config: Config): MpesaOptions {
  return {
    apiUrl: config.MPESA_API_URL,
    consumerKey: config.MPESA_CONSUMER_KEY,
    consumerSecret: config.MPESA_CONSUMER_SECRET,
    shortcode: config.MPESA_SHORTCODE,
    passkey: config.MPESA_PASSKEY,
    partyB: config.MPESA_PARTY_B || config.MPESA_SHORTCODE,
    transactionType: config.MPESA_TRANSACTION_TYPE,
    callbackUrl: config.MPESA_CALLBACK_URL,
    accountReference: config.MPESA_ACCOUNT_REFERENCE,
    // Daraja's TransactionDesc holds 13 characters: "30 days", "Ask 30 days".
    transactionDesc: `${config.MPESA_ACCOUNT_REFERENCE} ${config.SUBSCRIPTION_DAYS} days`.slice(
      0,
      TRANSACTION_DESC_MAX,
    ),
  };
}

/** What the M-Pesa payments take from the config: the price and the sweep's pace. */
export function mpesaPaymentsOptions(config: Config) {
  return {
    amount: priceAmount(config.SUBSCRIPTION_PRICE) ?? 0,
    price: config.SUBSCRIPTION_PRICE,
    days: config.SUBSCRIPTION_DAYS,
    queryAfterMs: config.MPESA_QUERY_AFTER_SECONDS * 1000,
  };
}

/**
 * Where the gateway serves Daraja's callback: MPESA_CALLBACK_URL's path without its last segment
 * (the mount) and that segment (the secret), e.g. /mpesa/callback and <secret>.
 */
export function mpesaCallbackMount(config: Config): { prefix: string; secret: string } {
  const secret = callbackSecret(config.MPESA_CALLBACK_URL) ?? '';
  const path = new URL(config.MPESA_CALLBACK_URL || 'http://x/').pathname;
  return { prefix: path.slice(0, path.length - secret.length).replace(/\/$/, '') || '/', secret };
}

/** Who may call Daraja's callback: MPESA_ALLOWED_IPS (any when empty), read through TRUST_PROXY. */
export function mpesaGuard(config: Config) {
  return { allowedIps: config.MPESA_ALLOWED_IPS, trustProxy: config.TRUST_PROXY };
}
