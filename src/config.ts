// The only reader of process.env. Every variable is parsed and checked here once, all problems are
// reported together (ConfigError lists each bad variable), and the rest of the code gets a typed,
// frozen Config. Every variable is documented in .env.example and the README's table.
import { z } from 'zod';
import { ConfigError } from './errors.ts';
import { type CountryCode, isCountryCode } from './phone.ts';

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

const SCHEMA = z.object({
  PORT: int(0, 65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  REDIS_URL: url(['redis:', 'rediss:'])
    .optional()
    .or(z.literal('').transform(() => undefined)),
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:_-]{1,40}$/, 'letters, digits, ":", "_" and "-" only')
    .default('ussd:'),
  REDIS_COMMAND_TIMEOUT_MS: int(50, 10_000).default(500),
  SESSION_TTL_SECONDS: int(180, 86_400).default(300),

  OLLAMA_HOST: url(['http:', 'https:']).default('http://127.0.0.1:11434'),
  OLLAMA_MODEL: z.string().min(1).default('llama3.2:3b'),
  OLLAMA_NUM_CTX: int(256, 131_072).default(2048),
  OLLAMA_NUM_PREDICT: int(16, 4096).default(150),
  OLLAMA_MAX_CONCURRENT: int(1, 64).default(2),
  OLLAMA_MAX_QUEUE: int(0, 10_000).default(8),
  OLLAMA_WARMUP: bool.default(true),
  ANSWER_TIMEOUT_MS: int(1000, 600_000).default(30_000),
  ANSWER_CACHE_TTL_SECONDS: int(0, 31_536_000).default(86_400),
  API_TOKEN: optionalSecret(16),
  API_CACHE_ANSWERS: bool.default(false),

  DATABASE_PATH: z.string().min(1).default('./data/ussd.db'),
  LOG_FLUSH_MS: int(10, 60_000).default(20),
  LOG_RETENTION_DAYS: int(0, 36_500).default(365),
  PHONE_HASH_SECRET: optionalSecret(16),
  STORE_PHONE_NUMBERS: bool.default(false),
  ADMIN_TOKEN: optionalSecret(16),

  MENUS_DIR: z.string().min(1).default('./menus'),
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
  ALLOWED_IPS: z.string().default(''),
  TRUST_PROXY: bool.default(false),
  HOP_RATE_PER_MINUTE: int(0, 100_000).default(60),
  QUESTION_RATE_PER_MINUTE: int(0, 10_000).default(6),
  SIMULATOR_ENABLED: bool.default(true),
});

export type Config = Readonly<
  Omit<z.infer<typeof SCHEMA>, 'ALLOWED_IPS' | 'DEFAULT_COUNTRY'> & {
    ALLOWED_IPS: readonly string[];
    DEFAULT_COUNTRY: CountryCode;
  }
>;

/** Parses the environment once. Throws a ConfigError naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const known = Object.fromEntries(
    Object.keys(SCHEMA.shape)
      .filter((k) => env[k] !== undefined)
      .map((k) => [k, env[k]]),
  );
  const parsed = SCHEMA.safeParse(known);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (i) => `${String(i.path[0] ?? '?')}=${JSON.stringify(env[String(i.path[0])] ?? '')}: ${i.message}`,
    );
    throw new ConfigError(problems);
  }
  const ips = parsed.data.ALLOWED_IPS.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return Object.freeze({
    ...parsed.data,
    ALLOWED_IPS: ips,
    DEFAULT_COUNTRY: parsed.data.DEFAULT_COUNTRY as CountryCode,
  });
}

/** The variable names, for the README/.env.example consistency test. */
export const CONFIG_VARIABLES = Object.keys(SCHEMA.shape);
