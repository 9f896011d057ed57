// The only reader of process.env. Every variable is parsed and checked here once, all problems are
// reported together (ConfigError lists each bad variable), and the rest of the code gets a typed,
// frozen Config. Every variable is documented in .env.example and the README's table.
// Each section's variables are in src/config/ (http, redis, inference, database, journey, payments);
// this file joins them into one schema, in the order the problems have always been reported.
import { z } from 'zod';
import { DATABASE_FIELDS } from './config/database.ts';
import { HTTP_FIELDS, type OpenDoor, openDoors, SECURITY_FIELDS } from './config/http.ts';
import { INFERENCE_FIELDS } from './config/inference.ts';
import { JOURNEY_FIELDS } from './config/journey.ts';
import { PAYMENT_FIELDS, paymentProblems, SMS_FIELDS } from './config/payments.ts';
import { REDIS_FIELDS, redisProblems } from './config/redis.ts';
import { ConfigError } from './errors.ts';
import type { CountryCode } from './phone.ts';
import type { SentinelAddress } from './redis/connection.ts';

export { postgresUrlProblem } from './config/database.ts';
export { type OpenDoor, openDoors } from './config/http.ts';
export { callbackSecret } from './config/payments.ts';

const SCHEMA = z.object({
  ...HTTP_FIELDS,
  ...REDIS_FIELDS,
  ...INFERENCE_FIELDS,
  ...DATABASE_FIELDS,
  ...JOURNEY_FIELDS,
  ...SECURITY_FIELDS,
  ...PAYMENT_FIELDS,
  ...SMS_FIELDS,
});

export type Config = Readonly<
  Omit<z.infer<typeof SCHEMA>, 'DEFAULT_COUNTRY' | 'OLLAMA_HOST' | 'REDIS_SENTINELS'> & {
    DEFAULT_COUNTRY: CountryCode;
    OLLAMA_HOST: readonly string[];
    REDIS_SENTINELS: readonly SentinelAddress[];
  }
>;

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
    ...paymentProblems(known, SCHEMA.shape),
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
