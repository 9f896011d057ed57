// Structured logs (pino). Each hop logs through a child carrying its session id; phone numbers
// appear only masked (phone.ts maskPhone) at info level.
import { pino } from 'pino';

export type Logger = pino.Logger;

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'ussd-ai-gateway' },
    redact: {
      paths: ['phone', '*.phone', 'phoneNumber', '*.phoneNumber', 'token', '*.token'],
      censor: '[redacted]',
    },
  });
}

/** A logger that drops everything: for tests and CLIs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
