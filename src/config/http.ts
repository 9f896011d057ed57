// The config's HTTP and security sections: the port and its limits, the callbacks' protection
// (CALLBACK_SECRET, ALLOWED_IPS, TRUST_PROXY), the rate limits, and the open doors (issue 15)
// refused in production. It must not read process.env: config.ts hands it the values.
import { z } from 'zod';
import type { TrustProxy } from '../protocol/guard.ts';
import { addressList, bool, int, optionalSecret } from './fields.ts';

// Issue 15: "true" trusted whatever X-Forwarded-For said, so a client could pick its address.
const trustProxy = z.string().transform((raw, ctx): TrustProxy => {
  const v = raw.trim().toLowerCase();
  if (v === '' || v === 'false' || v === 'no' || v === '0') return { hops: 0 };
  if (v === 'true' || v === 'yes') {
    ctx.addIssue({
      code: 'custom',
      message:
        'would trust any client to name its own address: give the number of proxies in front of the gateway (e.g. 1) or their addresses (e.g. 10.0.0.0/8)',
    });
    return z.NEVER;
  }
  if (/^\d+$/.test(v)) {
    if (Number(v) <= 10) return { hops: Number(v) };
    ctx.addIssue({ code: 'custom', message: 'at most 10 proxies' });
    return z.NEVER;
  }
  const list = addressList.safeParse(raw);
  if (list.success) return { proxies: list.data };
  ctx.addIssue({ code: 'custom', message: list.error.issues[0]?.message ?? 'not a list of addresses' });
  return z.NEVER;
});

/** The server: where it listens, its connection limits, its log level. */
export const HTTP_FIELDS = {
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: int(0, 65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  HTTP_HEADERS_TIMEOUT_MS: int(500, 60_000).default(5000),
  HTTP_REQUEST_TIMEOUT_MS: int(500, 120_000).default(10_000),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: int(100, 120_000).default(5000),
  HTTP_MAX_CONNECTIONS: int(1, 1_000_000).default(2000),
  HTTP_MAX_CONNECTIONS_PER_IP: int(0, 1_000_000).default(256),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
};

/** Who may call /ussd and how often. */
export const SECURITY_FIELDS = {
  CALLBACK_SECRET: optionalSecret(16),
  ALLOWED_IPS: addressList.default([]),
  TRUST_PROXY: trustProxy.default({ hops: 0 }),
  HOP_RATE_PER_MINUTE: int(0, 100_000).default(60),
  QUESTION_RATE_PER_MINUTE: int(0, 10_000).default(6),
  SIMULATOR_ENABLED: bool.default(true),
};

/** A way in that anyone who can reach the port may use: refused in production, warned of elsewhere. */
export interface OpenDoor {
  variable: string;
  risk: string;
}

/**
 * Issue 15: with the callbacks and the API unprotected, anyone who can reach the port can act as
 * any subscriber (use up their questions, switch their language, get them rate-limited) and fill
 * every model slot; with the built-in phone-hash secret, the log's phone hashes can be reversed.
 * Takes the raw values, so that with other bad variables every problem is still named at once.
 */
export function openDoors(env: Record<string, string | undefined>): OpenDoor[] {
  const set = (name: string) => (env[name] ?? '').trim() !== '';
  const doors: OpenDoor[] = [];
  if (!set('CALLBACK_SECRET') && !set('ALLOWED_IPS'))
    doors.push({
      variable: 'CALLBACK_SECRET',
      risk: 'CALLBACK_SECRET (or ALLOWED_IPS) is unset: anyone who can reach the port can act as any subscriber on /ussd',
    });
  if (!set('PHONE_HASH_SECRET'))
    doors.push({
      variable: 'PHONE_HASH_SECRET',
      risk: 'PHONE_HASH_SECRET is unset: phone numbers are hashed with the built-in development secret, so the hashes in Redis and the log can be reversed',
    });
  const apiOff = ['false', '0', 'no'].includes((env['API_ENABLED'] ?? '').trim());
  if (!set('API_TOKEN') && !apiOff)
    doors.push({
      variable: 'API_TOKEN',
      risk: 'API_TOKEN is unset: /api/query is open to anyone, who can fill the model slots (set API_ENABLED=false to turn the API off)',
    });
  return doors;
}
