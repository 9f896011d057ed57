// Typed errors, by whose fault. Messages name the layer; wrapped causes travel in `cause`.
// Nothing here is ever shown to a phone: the hop funnel turns any error into a friendly END screen.

/** Bad environment: one line per bad variable. Start-up stops with exit 1. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`[config] ${problems.length} bad variable(s):\n  ${problems.join('\n  ')}`);
  }
}

/** A menu file problem, keyed by file and screen path. */
export interface MenuIssue {
  file: string;
  path: string;
  message: string;
}

/** The journey in MENUS_DIR is invalid: every problem at once. Start-up stops with exit 1. */
export class MenuError extends Error {
  override name = 'MenuError';
  constructor(readonly issues: readonly MenuIssue[]) {
    super(
      `[menus] ${issues.length} problem(s):\n  ${issues.map((i) => `${i.file} ${i.path}: ${i.message}`).join('\n  ')}`,
    );
  }
}

/** The session store could not be read or written in time. */
export class SessionStoreError extends Error {
  override name = 'SessionStoreError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(`[session] ${message}`, options);
  }
}

/** The model did not answer in the time given to it. */
export class InferenceTimeoutError extends Error {
  override name = 'InferenceTimeoutError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(`[inference] ${message}`, options);
  }
}

/** The model server answered with an HTTP error (404 model not pulled, 503 busy, 500 …). */
export class InferenceHttpError extends Error {
  override name = 'InferenceHttpError';
  constructor(
    readonly status: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`[inference] HTTP ${status}: ${message}`, options);
  }
}

/** The model server could not be reached, or the stream broke. */
export class InferenceNetworkError extends Error {
  override name = 'InferenceNetworkError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(`[inference] ${message}`, options);
  }
}

/** The interaction log could not write (disk full, read-only, locked). Rows stay queued. */
export class InteractionLogError extends Error {
  override name = 'InteractionLogError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(`[log] ${message}`, options);
  }
}

/** A problem in a knowledge file (issue 18), keyed by file and line (0: the file as a whole). */
export interface KnowledgeIssue {
  file: string;
  line: number;
  message: string;
}

/** The knowledge base in KNOWLEDGE_DIR (or an eval question set) is broken: every problem at once. */
export class KnowledgeError extends Error {
  override name = 'KnowledgeError';
  constructor(
    readonly issues: readonly KnowledgeIssue[],
    layer = 'knowledge',
  ) {
    super(
      `[${layer}] ${issues.length} problem(s):\n  ${issues.map((i) => `${i.file}${i.line > 0 ? `:${i.line}` : ''}: ${i.message}`).join('\n  ')}`,
    );
  }
}

/** Daraja answered with an HTTP error and its body (`errorCode`, e.g. 400.002.02, and `errorMessage`). */
export class PaymentHttpError extends Error {
  override name = 'PaymentHttpError';
  constructor(
    readonly status: number,
    readonly code: string,
    /** Daraja's own words (its errorMessage or ResponseDescription). */
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`[payments] [daraja] HTTP ${status} ${code}: ${detail}`, options);
  }
}

/** Daraja could not be reached, or answered with something that is not its API. */
export class PaymentNetworkError extends Error {
  override name = 'PaymentNetworkError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(`[payments] [daraja] ${message}`, options);
  }
}

/** Daraja did not answer in time: whether it acted on the request is unknown. */
export class PaymentTimeoutError extends Error {
  override name = 'PaymentTimeoutError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(`[payments] [daraja] ${message}`, options);
  }
}

/** A payment could not be recorded durably: the phone is not asked to pay. */
export class PaymentRecordError extends Error {
  override name = 'PaymentRecordError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(`[payments] ${message}`, options);
  }
}

/**
 * The SQLite worker thread could not do what was asked: SQLite's own error (its `code`, e.g.
 * SQLITE_BUSY), a file of the database that cannot be written (EPERM, EACCES, EROFS: refused
 * before SQLite touched it), no answer by the caller's deadline (DEADLINE), or the thread gone
 * (WORKER_EXIT, CLOSED).
 */
export class DatabaseError extends Error {
  override name = 'DatabaseError';
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`[sqlite] ${message}`, options);
  }
}

/**
 * PostgreSQL (DATABASE_URL) could not do what was asked: its SQLSTATE (`code`, e.g. 23505), a
 * socket's errno (ECONNREFUSED), no answer by the caller's deadline (DEADLINE), or the pool closed
 * (CLOSED).
 */
export class PostgresError extends Error {
  override name = 'PostgresError';
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`[postgres] ${message}`, options);
  }
}

/** The records store (phone profiles, subscriptions) could not be read or written in time. */
export class RecordsStoreError extends Error {
  override name = 'RecordsStoreError';
  constructor(
    message: string,
    readonly timedOut: boolean,
    options?: { cause?: unknown },
  ) {
    super(`[records] ${message}`, options);
  }
}
