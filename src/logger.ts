// Structured logs (pino). Each hop logs through a child carrying its session id; phone numbers
// appear only masked (phone.ts maskPhone) at info level. No secret is ever written: fields that
// hold one are redacted by name, and every line is scrubbed of the configured secrets' values
// whatever field (a path, a URL, an error's message or stack) carries them (issue 15).
import { pino } from 'pino';

export type Logger = pino.Logger;

/** What stands in for a secret in the log. */
export const REDACTED = '[redacted]';

/**
 * `secrets`: values never to be written (CALLBACK_SECRET, API_TOKEN, …); empty ones are ignored.
 * `out`: where lines go (stdout; tests pass a collector).
 */
export function createLogger(
  level: string,
  secrets: readonly (string | undefined)[] = [],
  out: { write(line: string): unknown } = pino.destination(1),
): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'ussd-ai-gateway' },
    redact: {
      paths: ['phone', '*.phone', 'phoneNumber', '*.phoneNumber', 'token', '*.token', 'secret', '*.secret'],
      censor: REDACTED,
    },
  };
  const values = secrets.filter((s): s is string => typeof s === 'string' && s.length > 0);
  if (values.length === 0) return pino(options, out);
  return pino(options, {
    write(line: string) {
      let clean = line;
      for (const secret of values) if (clean.includes(secret)) clean = clean.split(secret).join(REDACTED);
      out.write(clean);
    },
  });
}

/** A logger that drops everything: for tests and CLIs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** What a hop logs through: the three levels it uses, each taking pino's (object, message) form. */
export interface HopLogger {
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}

/**
 * A child of `parent` with `bindings`, made on the first line actually written. A pino child
 * serialises its bindings when it is made; made per hop and mostly never written to (the hop
 * line is at info, production load runs at warn), it cost ~2 % of a hop (issue 7 profile).
 */
export function lazyChild(parent: Logger, bindings: () => pino.Bindings): HopLogger {
  return new LazyChild(parent, bindings);
}

class LazyChild implements HopLogger {
  #child: Logger | undefined;
  constructor(
    private readonly parent: Logger,
    private readonly bindings: () => pino.Bindings,
  ) {}
  info(obj: object | string, msg?: string): void {
    if (this.parent.isLevelEnabled('info')) this.write('info', obj, msg);
  }
  warn(obj: object | string, msg?: string): void {
    if (this.parent.isLevelEnabled('warn')) this.write('warn', obj, msg);
  }
  error(obj: object | string, msg?: string): void {
    if (this.parent.isLevelEnabled('error')) this.write('error', obj, msg);
  }
  private write(level: 'info' | 'warn' | 'error', obj: object | string, msg?: string): void {
    this.#child ??= this.parent.child(this.bindings());
    if (typeof obj === 'string') this.#child[level](obj);
    else this.#child[level](obj, msg);
  }
}
