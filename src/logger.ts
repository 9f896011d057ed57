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
