// How each server under test is started, and the gateway's settings for the benchmark: the
// reference menu, a real Redis, a real SQLite log in a temp dir, a fake Ollama on loopback, rate
// limits off and a quota no dialer reaches (load.mjs reuses phone numbers). It must not change
// what the gateway does: only configuration, through the same env `npm start` reads.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { PROJECT_ROOT } from '../../test/helpers/gateway-process.ts';

export interface ServerSpec {
  name: string;
  command: string[];
  cwd: string;
  env: Record<string, string>;
}

export interface GatewayOptions {
  redisUrl: string;
  redisPrefix: string;
  databasePath: string;
  ollamaUrl: string;
  logLevel: string;
  hopDeadlineMs: number;
  /** Extra node flags, e.g. --cpu-prof. */
  nodeFlags: string[];
  /** GATEWAY_CMD: run this instead (split on spaces), e.g. "npm start". */
  command?: string | undefined;
  extraEnv?: Record<string, string>;
}

export const REFERENCE_MENU = join(PROJECT_ROOT, 'bench/reference-menu');

export function gatewaySpec(o: GatewayOptions): ServerSpec {
  const start = startSpec();
  const [node, ...args] = start.command;
  const command = o.command
    ? o.command.split(/\s+/).filter(Boolean)
    : [node ?? 'node', ...o.nodeFlags, ...args];
  return {
    name: 'gateway',
    command,
    cwd: PROJECT_ROOT,
    env: {
      ...start.env,
      HOST: '127.0.0.1',
      MENUS_DIR: REFERENCE_MENU,
      LOG_LEVEL: o.logLevel,
      REDIS_URL: o.redisUrl,
      REDIS_KEY_PREFIX: o.redisPrefix,
      DATABASE_PATH: o.databasePath,
      OLLAMA_HOST: o.ollamaUrl,
      OLLAMA_WARMUP: 'false',
      HOP_DEADLINE_MS: String(o.hopDeadlineMs),
      HOP_RATE_PER_MINUTE: '0',
      QUESTION_RATE_PER_MINUTE: '0',
      DAILY_QUESTION_QUOTA: '10000',
      PHONE_HASH_SECRET: 'bench-phone-hash-secret-0123456789',
      NODE_ENV: 'production',
      // Production refuses to start open (issue 15): the load generator is the one allowed caller
      // (which also spares it the per-address connection cap), and the API is not benchmarked.
      ALLOWED_IPS: '127.0.0.1',
      API_ENABLED: 'false',
      ...o.extraEnv,
    },
  };
}

export function limitSpec(peerDir: string): ServerSpec {
  return { name: 'limit', command: [process.execPath, 'limit/server.mjs'], cwd: peerDir, env: {} };
}

export function peerSpec(peerDir: string, redisUrl: string): ServerSpec {
  return {
    name: 'peer',
    command: [process.execPath, 'peer/server.js'],
    cwd: peerDir,
    env: { REDIS_URL: redisUrl },
  };
}

/**
 * The process `npm start` ends up running (its last `&&` step, e.g. `node <flags> <built main>`),
 * run directly so the bench measures that one process, not npm and a shell around it. Falls back
 * to tsx on the sources when the start script is not a plain `node` command. Leading `NAME=value`
 * words of that step (MALLOC_ARENA_MAX) become the process's environment, as the shell makes them.
 */
export function startSpec(): { command: string[]; env: Record<string, string> } {
  const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
    scripts?: Record<string, string>;
  };
  const words = (pkg.scripts?.['start'] ?? '').split('&&').at(-1)?.trim().split(/\s+/) ?? [];
  const env: Record<string, string> = {};
  while (words[0] !== undefined && /^[A-Z_][A-Z0-9_]*=/.test(words[0])) {
    const word = words.shift() as string;
    env[word.slice(0, word.indexOf('='))] = word.slice(word.indexOf('=') + 1);
  }
  const [program, ...args] = words;
  if (program !== 'node') return { command: [process.execPath, '--import', 'tsx', 'src/main.ts'], env };
  return { command: [process.execPath, ...args], env };
}

/** Runs `npm run build` when the project has one (what `npm start` does first). */
export function hasBuild(): boolean {
  const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
    scripts?: Record<string, string>;
  };
  return Boolean(pkg.scripts?.['build']);
}

/** Hop rows in a gateway's SQLite log once it has stopped (null when it cannot be read). */
export function countHopRows(dbPath: string): number | null {
  try {
    const db = new BetterSqlite3(dbPath, { readonly: true });
    try {
      return (db.prepare('SELECT count(*) AS n FROM hops').get() as { n: number }).n;
    } finally {
      db.close();
    }
  } catch {
    return null;
  }
}
