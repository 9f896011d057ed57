// The only reader of process.env. Every variable is parsed and checked here once, all problems are
// reported together (ConfigError lists each bad variable), and the rest of the code gets a typed,
// frozen Config. Every variable is documented in .env.example and the README's table.
import { z } from 'zod';
import { ConfigError } from './errors.ts';
import { ACCOUNT_REFERENCE_MAX, priceAmount } from './payments/daraja-wire.ts';
import { type CountryCode, isCountryCode } from './phone.ts';
import { invalidEntries } from './protocol/address.ts';
import type { TrustProxy } from './protocol/guard.ts';
import type { SentinelAddress } from './redis/connection.ts';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^-?\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().min(min).max(max));
const url = (protocols: string[]) =>
  z
    .string()
    .url('must be a URL')
    .refine(
      (v) => URL.canParse(v) && protocols.includes(new URL(v).protocol),
      `must start with ${protocols.map((p) => `${p}//`).join(' or ')}`,
    );
const optionalSecret = (min: number) =>
  z
    .string()
    .min(min, `must be at least ${min} characters`)
    .or(z.literal('').transform(() => undefined))
    .optional();

const addressList = z.string().transform((v, ctx): readonly string[] => {
  const list = v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const invalid = invalidEntries(list);
  if (invalid.length > 0)
    ctx.addIssue({ code: 'custom', message: `not an address or CIDR range: ${invalid.join(', ')}` });
  return list;
});
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

// REDIS_SENTINELS (issue 19 §3): `host:port` entries, `[v6]:port` for IPv6; a bare host is 26379,
// Sentinel's own port.
const sentinelList = z.string().transform((v, ctx): readonly SentinelAddress[] => {
  const entries = v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = entries.filter((e) => sentinelAddress(e) === null);
  if (bad.length > 0)
    ctx.addIssue({
      code: 'custom',
      message: `not host:port (e.g. sentinel-1:26379, 10.0.0.5:26379, [::1]:26379): ${bad.join(', ')}`,
    });
  return entries.map(sentinelAddress).filter((a): a is SentinelAddress => a !== null);
});
const optionalText = z
  .string()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

const CALLBACK_URL_RULE =
  'must be the public https:// URL Daraja calls, ending in a secret path segment of at least 16 letters, digits, - or _ (e.g. https://gw.example.org/mpesa/callback/<secret>)';

const SCHEMA = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: int(0, 65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  HTTP_HEADERS_TIMEOUT_MS: int(500, 60_000).default(5000),
  HTTP_REQUEST_TIMEOUT_MS: int(500, 120_000).default(10_000),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: int(100, 120_000).default(5000),
  HTTP_MAX_CONNECTIONS: int(1, 1_000_000).default(2000),
  HTTP_MAX_CONNECTIONS_PER_IP: int(0, 1_000_000).default(256),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  REDIS_URL: url(['redis:', 'rediss:'])
    .optional()
    .or(z.literal('').transform(() => undefined)),
  // Redis Sentinel instead of REDIS_URL: the master is asked of the sentinels on every connect.
  REDIS_SENTINELS: sentinelList.default([]),
  REDIS_SENTINEL_NAME: z
    .string()
    .regex(/^([A-Za-z0-9._-]{1,64})?$/, 'the master group name: letters, digits, ".", "_" and "-"')
    .transform((v) => v || undefined)
    .optional(),
  REDIS_SENTINEL_PASSWORD: optionalText,
  REDIS_PASSWORD: optionalText,
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:_-]{1,40}$/, 'letters, digits, ":", "_" and "-" only')
    .default('ussd:'),
  REDIS_COMMAND_TIMEOUT_MS: int(50, 10_000).default(500),
  SESSION_TTL_SECONDS: int(180, 86_400).default(300),
  QUEUE_LEASE_MS: int(2000, 120_000).default(10_000),
  MEMORY_STORE_MAX_MB: int(1, 65_536).default(48),

  // One host, or several separated by commas, each with its own OLLAMA_MAX_CONCURRENT slots.
  OLLAMA_HOST: z
    .string()
    .default('http://127.0.0.1:11434')
    .transform((v) =>
      v
        .split(',')
        .map((h) => h.trim())
        .filter(Boolean),
    )
    .pipe(z.array(url(['http:', 'https:'])).min(1, 'needs at least one http:// or https:// URL')),
  OLLAMA_MODEL: z.string().min(1).default('llama3.2:3b'),
  OLLAMA_NUM_CTX: int(256, 131_072).default(2048),
  OLLAMA_NUM_PREDICT: int(16, 4096).default(150),
  OLLAMA_MAX_CONCURRENT: int(1, 64).default(2),
  ANSWER_MAX_WAIT_MINUTES: int(1, 1440).default(30),
  OLLAMA_WARMUP: bool.default(true),
  ANSWER_TIMEOUT_MS: int(1000, 600_000).default(30_000),
  ANSWER_CACHE_TTL_SECONDS: int(0, 31_536_000).default(86_400),
  API_TOKEN: optionalSecret(16),
  API_ENABLED: bool.default(true),
  API_CACHE_ANSWERS: bool.default(false),

  DATABASE_PATH: z.string().min(1).default('./data/ussd.db'),
  // Issue 19: the log and the records in PostgreSQL, shared by every replica; unset: SQLite.
  DATABASE_URL: z
    .string()
    .transform((v, ctx) => {
      const value = v.trim();
      if (value === '') return undefined;
      const problem = postgresUrlProblem(value);
      if (problem === null) return value;
      ctx.addIssue({ code: 'custom', message: problem });
      return z.NEVER;
    })
    .optional(),
  LOG_FLUSH_MS: int(10, 60_000).default(20),
  LOG_RETENTION_DAYS: int(0, 36_500).default(365),
  LOG_QUEUE_MAX_MB: int(1, 4096).default(64),
  PHONE_HASH_SECRET: optionalSecret(16),
  STORE_PHONE_NUMBERS: bool.default(false),
  ADMIN_TOKEN: optionalSecret(16),

  MENUS_DIR: z.string().min(1).default('./menus'),
  KNOWLEDGE_DIR: z.string().default('./knowledge'),
  KNOWLEDGE_MAX_PASSAGES: int(0, 10).default(2),
  KNOWLEDGE_MAX_TOKENS: int(50, 1500).default(300),
  KNOWLEDGE_MIN_RELEVANCE: int(0, 100).default(40),
  HOP_DEADLINE_MS: int(500, 14_000).default(5000),
  DAILY_QUESTION_QUOTA: int(0, 10_000).default(5),
  SUBSCRIPTION_PRICE: z.string().min(1).max(20).default('KES 20'),
  SUBSCRIPTION_DAYS: int(1, 366).default(30),
  TIMEZONE_OFFSET_MINUTES: int(-720, 840).default(180),
  DEFAULT_COUNTRY: z
    .string()
    .transform((v) => v.trim().toUpperCase())
    .refine(isCountryCode, 'must be a two-letter country code (ISO 3166-1), e.g. KE')
    .default('KE'),

  CALLBACK_SECRET: optionalSecret(16),
  ALLOWED_IPS: addressList.default([]),
  TRUST_PROXY: trustProxy.default({ hops: 0 }),
  HOP_RATE_PER_MINUTE: int(0, 100_000).default(60),
  QUESTION_RATE_PER_MINUTE: int(0, 10_000).default(6),
  SIMULATOR_ENABLED: bool.default(true),

  // Payments (issue 14; shared/research/sms-payments.md §2.2). `intent`: accepting the offer is
  // recorded and unlocks the quota, no money moves; `mpesa`: an M-Pesa STK push through Daraja.
  PAYMENTS_MODE: z.enum(['intent', 'mpesa']).default('intent'),
  MPESA_CONSUMER_KEY: z.string().default(''),
  MPESA_CONSUMER_SECRET: z.string().default(''),
  MPESA_SHORTCODE: z
    .string()
    .regex(/^(\d{5,7})?$/, 'must be the 5-7 digit paybill or store number')
    .default(''),
  MPESA_PASSKEY: z.string().default(''),
  MPESA_CALLBACK_URL: z
    .string()
    .refine((v) => v === '' || callbackSecret(v) !== null, CALLBACK_URL_RULE)
    .default(''),
  MPESA_API_URL: url(['https:', 'http:']).default('https://api.safaricom.co.ke'),
  MPESA_TRANSACTION_TYPE: z
    .enum(['CustomerPayBillOnline', 'CustomerBuyGoodsOnline'])
    .default('CustomerPayBillOnline'),
  MPESA_PARTY_B: z
    .string()
    .regex(/^(\d{5,7})?$/, 'must be the 5-7 digit number that receives the money')
    .default(''),
  MPESA_ACCOUNT_REFERENCE: z
    .string()
    .regex(
      new RegExp(`^[A-Za-z0-9 ]{1,${ACCOUNT_REFERENCE_MAX}}$`),
      `${ACCOUNT_REFERENCE_MAX} letters, digits or spaces at most (Daraja's AccountReference)`,
    )
    .default('Ask'),
  MPESA_ALLOWED_IPS: addressList.default([]),
  MPESA_QUERY_AFTER_SECONDS: int(5, 3600).default(120),
  AT_USERNAME: z
    .string()
    .max(100)
    .transform((v) => v.trim() || undefined)
    .optional(),
  AT_API_KEY: optionalSecret(8),
  AT_SMS_FROM: z
    .string()
    .max(20)
    .transform((v) => v.trim() || undefined)
    .optional(),
  AT_API_URL: url(['http:', 'https:'])
    .optional()
    .or(z.literal('').transform(() => undefined)),
  SMS_MAX_PARTS: int(1, 10).default(3),
});

/** What is wrong with a DATABASE_URL, or null: postgres://[user[:password]@]host[:port]/database. */
export function postgresUrlProblem(url: string): string | null {
  if (!URL.canParse(url)) return 'must be a URL: postgres://user@host:5432/database';
  const u = new URL(url);
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') return 'must start with postgres://';
  if (!u.hostname) return 'names no host (postgres://user@host:5432/database)';
  if (u.pathname.replace(/^\//, '') === '') return 'names no database (postgres://user@host:5432/database)';
  return null;
}

/**
 * The secret at the end of MPESA_CALLBACK_URL's path (Daraja signs nothing, so its callback is
 * protected as AT's are: by a secret in the URL), or null when the URL has none. http:// only to
 * a loopback address, for a local test against a fake Daraja.
 */
export function callbackSecret(value: string): string | null {
  if (!URL.canParse(value)) return null;
  const u = new URL(value);
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && loopback)) return null;
  if (u.search !== '' || u.hash !== '') return null;
  const last = u.pathname.split('/').at(-1) ?? '';
  return /^[A-Za-z0-9_-]{16,}$/.test(last) ? last : null;
}

/**
 * One way to Redis at a time: REDIS_URL names one server, REDIS_SENTINELS a group whose master
 * moves. Both set would leave it unclear which the replicas share, so it is refused; the
 * Sentinel-only variables without REDIS_SENTINELS are refused too (they would silently do nothing).
 */
function redisProblems(env: Record<string, string | undefined>): string[] {
  const set = (name: string) => (env[name] ?? '').trim() !== '';
  const problems: string[] = [];
  if (set('REDIS_SENTINELS') && set('REDIS_URL'))
    problems.push(
      'REDIS_SENTINELS: set either REDIS_URL (one Redis) or REDIS_SENTINELS (the master found through Sentinel), not both',
    );
  if (set('REDIS_SENTINELS') && !set('REDIS_SENTINEL_NAME'))
    problems.push(
      'REDIS_SENTINEL_NAME="": required with REDIS_SENTINELS (the name in the sentinels\' "sentinel monitor <name> …")',
    );
  if (!set('REDIS_SENTINELS')) {
    for (const name of ['REDIS_SENTINEL_NAME', 'REDIS_SENTINEL_PASSWORD', 'REDIS_PASSWORD'])
      if (set(name))
        problems.push(
          `${name}: only used with REDIS_SENTINELS${name === 'REDIS_PASSWORD' ? ' (with REDIS_URL the password goes in the URL: redis://:<password>@host:6379)' : ''}`,
        );
  }
  return problems;
}

/** `host:port`, `[v6]:port` or a bare host (port 26379); null when it is none of those. */
function sentinelAddress(entry: string): SentinelAddress | null {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9._-]+))(?::(\d{1,5}))?$/.exec(entry);
  if (!m) return null;
  const port = m[3] === undefined ? 26379 : Number(m[3]);
  if (port < 1 || port > 65535) return null;
  return { host: m[1] ?? m[2] ?? '', port };
}

/** With PAYMENTS_MODE=mpesa: the variables Daraja needs, and a price in whole shillings. */
function paymentProblems(env: Record<string, string | undefined>): string[] {
  if (env['PAYMENTS_MODE'] !== 'mpesa') return [];
  const data = {
    SUBSCRIPTION_PRICE: 'KES 20',
    MPESA_TRANSACTION_TYPE: 'CustomerPayBillOnline',
    ...Object.fromEntries(Object.entries(env).filter(([k]) => k in SCHEMA.shape)),
  } as Record<string, string | undefined>;
  const problems: string[] = [];
  const required = [
    'MPESA_CONSUMER_KEY',
    'MPESA_CONSUMER_SECRET',
    'MPESA_SHORTCODE',
    'MPESA_PASSKEY',
    'MPESA_CALLBACK_URL',
  ] as const;
  for (const name of required) {
    if (!data[name]) problems.push(`${name}="": required with PAYMENTS_MODE=mpesa`);
  }
  const price = data['SUBSCRIPTION_PRICE'] ?? '';
  if (priceAmount(price) === null)
    problems.push(
      `SUBSCRIPTION_PRICE=${JSON.stringify(price)}: with PAYMENTS_MODE=mpesa it must be whole shillings, 1 to 250000 (e.g. "KES 20")`,
    );
  if (data['MPESA_TRANSACTION_TYPE'] === 'CustomerBuyGoodsOnline' && !data['MPESA_PARTY_B'])
    problems.push('MPESA_PARTY_B="": the till number is required with CustomerBuyGoodsOnline');
  return problems;
}

export type Config = Readonly<
  Omit<z.infer<typeof SCHEMA>, 'DEFAULT_COUNTRY' | 'OLLAMA_HOST' | 'REDIS_SENTINELS'> & {
    DEFAULT_COUNTRY: CountryCode;
    OLLAMA_HOST: readonly string[];
    REDIS_SENTINELS: readonly SentinelAddress[];
  }
>;

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

/** The open doors of a loaded config (outside production: main.ts warns of each at start-up). */
export function openDoorsOf(config: Config): OpenDoor[] {
  return openDoors({
    CALLBACK_SECRET: config.CALLBACK_SECRET,
    ALLOWED_IPS: config.ALLOWED_IPS.join(','),
    PHONE_HASH_SECRET: config.PHONE_HASH_SECRET,
    API_TOKEN: config.API_TOKEN,
    API_ENABLED: String(config.API_ENABLED),
  });
}

/**
 * Parses the environment once. Throws a ConfigError naming every bad variable. `serving`: false for
 * the CLIs (report, menus check), which open no port and so need none of production's secrets.
 */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  { serving = true }: { serving?: boolean } = {},
): Config {
  const known = Object.fromEntries(
    Object.keys(SCHEMA.shape)
      .filter((k) => env[k] !== undefined)
      .map((k) => [k, env[k]]),
  );
  const parsed = SCHEMA.safeParse(known);
  const problems = [
    ...(parsed.success
      ? []
      : parsed.error.issues.map(
          (i) => `${String(i.path[0] ?? '?')}=${JSON.stringify(env[String(i.path[0])] ?? '')}: ${i.message}`,
        )),
    ...paymentProblems(known),
    ...redisProblems(known),
  ];
  if (serving && (env['NODE_ENV'] ?? '').trim() === 'production') {
    for (const door of openDoors(env))
      problems.push(`${door.variable}="": required with NODE_ENV=production (${door.risk})`);
  }
  // SMS needs both: one without the other is a half-done set-up, not "SMS off".
  const atUser = (env['AT_USERNAME'] ?? '').trim();
  const atKey = (env['AT_API_KEY'] ?? '').trim();
  if ((atUser === '') !== (atKey === '')) {
    const missing = atUser ? 'AT_API_KEY' : 'AT_USERNAME';
    problems.push(
      `${missing}="": must be set with ${atUser ? 'AT_USERNAME' : 'AT_API_KEY'} (or neither: SMS off)`,
    );
  }
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({ ...parsed.data, DEFAULT_COUNTRY: parsed.data.DEFAULT_COUNTRY as CountryCode });
}

/** The config of a CLI (report, menus check): it opens no port, so production's secrets do not apply. */
export function loadCliConfig(): Config {
  return loadConfig(process.env, { serving: false });
}

/** The variable names, for the README/.env.example consistency test. */
export const CONFIG_VARIABLES = Object.keys(SCHEMA.shape);
