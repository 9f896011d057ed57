// What the logger must scrub from every line (logger.ts): each secret the config holds, including
// those inside URLs. Part of the composition root: only main.ts imports it. It must not log.
import { type Config, callbackSecret } from '../config.ts';

/** Every value that must never reach the log (logger.ts scrubs each line of them). */
export function secretsOf(config: Config): string[] {
  const redisPassword = config.REDIS_URL ? decodeURIComponent(new URL(config.REDIS_URL).password) : '';
  const databasePassword = config.DATABASE_URL
    ? decodeURIComponent(new URL(config.DATABASE_URL).password)
    : '';
  return [
    config.CALLBACK_SECRET,
    config.API_TOKEN,
    config.ADMIN_TOKEN,
    config.PHONE_HASH_SECRET,
    redisPassword,
    config.REDIS_PASSWORD,
    config.REDIS_SENTINEL_PASSWORD,
    databasePassword,
    // Daraja's credentials, and the secret of the callback URL it is given (issue 14).
    config.MPESA_CONSUMER_SECRET,
    config.MPESA_PASSKEY,
    callbackSecret(config.MPESA_CALLBACK_URL) ?? '',
  ].filter((s): s is string => typeof s === 'string' && s.length > 0);
}
