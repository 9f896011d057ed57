// The composition root: reads config, loads the journey, picks and builds the drivers, builds the
// app, serves, warms the model, and on SIGTERM/SIGINT drains and closes everything. The only file
// that knows which drivers exist; nothing imports it.
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import { createApp } from './app.ts';
import { type Config, callbackSecret, loadConfig, openDoorsOf } from './config.ts';
import { loadJourney } from './engine/load.ts';
import { wrapWarnings } from './engine/readability.ts';
import type { StoredSession } from './engine/types.ts';
import { ConfigError, KnowledgeError, MenuError } from './errors.ts';
import { limitConnections, serverOptions } from './http/limits.ts';
import { createAnswerer } from './inference/answerer.ts';
import { loadFaq } from './inference/faq.ts';
import { createOllamaModel } from './inference/ollama.ts';
import { createQueryRoutes } from './inference/query-route.ts';
import { type OpenedKnowledge, openKnowledge } from './knowledge/base.ts';
import { createSqliteLog } from './log/sqlite.ts';
import { createLogger, type Logger } from './logger.ts';
import { hashPhone } from './phone.ts';
import { createAdminRoutes } from './report/admin.ts';
import { createMemorySessionStore } from './session/memory.ts';
import { createRedisClient, createRedisSessionStore } from './session/redis.ts';
import type { SessionStore } from './session/types.ts';
import { answererOptions, appSettings, httpLimits, journeyFacts, knowledgeBounds } from './settings.ts';
import { createSimulatorRoutes } from './web/simulator.ts';

const SHUTDOWN_GRACE_MS = 10_000;

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    return exitWith(error);
  }
  // Issue 14: the M-Pesa driver needs the payment records, which land with the records store.
  if (config.PAYMENTS_MODE === 'mpesa')
    return exitWith(new ConfigError(['PAYMENTS_MODE="mpesa": not in this build yet (issue 14); use intent']));
  const logger = createLogger(config.LOG_LEVEL, secretsOf(config));
  // Outside production these start anyway (production refuses them, config.ts): say so loudly.
  for (const door of openDoorsOf(config))
    logger.warn(
      { variable: door.variable },
      `[security] ${door.risk}; NODE_ENV=production refuses to start so`,
    );
  let journey: ReturnType<typeof loadJourney>;
  let faq: ReturnType<typeof loadFaq>;
  try {
    journey = loadJourney(config.MENUS_DIR, journeyFacts(config));
    const warnings = wrapWarnings(journey, journeyFacts(config));
    if (warnings.length > 0)
      logger.warn(
        { warnings: warnings.map((w) => `${w.file} ${w.path}: ${w.message}`) },
        'menus: some screens wrap badly on a 22-column handset (npm run menus:check lists them)',
      );
    const faqPath = join(config.MENUS_DIR, 'faq.yaml');
    faq = loadFaq(existsSync(faqPath) ? faqPath : null);
  } catch (error) {
    return exitWith(error);
  }
  // Read, checked and indexed before listening: a broken file stops start-up, named with its line.
  let knowledge: OpenedKnowledge | undefined;
  if (config.KNOWLEDGE_DIR !== '') {
    try {
      knowledge = await openKnowledge({ dir: config.KNOWLEDGE_DIR, bounds: knowledgeBounds(config), logger });
    } catch (error) {
      return exitWith(error);
    }
    for (const w of knowledge.warnings) logger.warn(w, `[knowledge] ${w.file}:${w.line}: ${w.message}`);
    logger.info(
      { dir: config.KNOWLEDGE_DIR, passages: knowledge.counts, ...knowledge.timings },
      'knowledge base indexed',
    );
  } else {
    logger.warn('KNOWLEDGE_DIR is empty: answers are not grounded in a knowledge base');
  }

  const store = createStore(config, logger);
  const log = createSqliteLog({
    path: config.DATABASE_PATH,
    flushMs: config.LOG_FLUSH_MS,
    retentionDays: config.LOG_RETENTION_DAYS,
    logger,
    // The file remembers it, and the report and /admin say so (issue 15).
    devPhoneHashSecret: !config.PHONE_HASH_SECRET,
  });
  const model = createOllamaModel({
    host: config.OLLAMA_HOST,
    model: config.OLLAMA_MODEL,
    numCtx: config.OLLAMA_NUM_CTX,
  });
  const settings = appSettings(config);
  const { phoneHashSecret } = settings;
  const answerer = createAnswerer({
    model,
    cache: store,
    log,
    faq,
    ...(knowledge ? { knowledge } : {}),
    logger,
    hashUserId: (userId) => hashPhone(userId, phoneHashSecret),
    options: answererOptions(config),
  });

  const app = createApp({
    journey,
    store,
    answerer,
    log,
    logger,
    settings,
    mounts: [
      ...(config.API_ENABLED
        ? [['/api', createQueryRoutes({ answerer, apiToken: config.API_TOKEN, logger })] as [string, Hono]]
        : []),
      [
        '/admin',
        createAdminRoutes({
          dbPath: config.DATABASE_PATH,
          adminToken: config.ADMIN_TOKEN,
          logger,
          tzOffsetMinutes: config.TIMEZONE_OFFSET_MINUTES,
        }),
      ],
      ...(config.SIMULATOR_ENABLED
        ? [['/simulator', createSimulatorRoutes({ callbackPath: '/ussd' })] as [string, Hono]]
        : []),
    ],
  });

  // Responses not yet sent. On shutdown they go out with `Connection: close`: kept alive, their
  // connections would hold server.close() open for the keep-alive timeout (5 s) after the last
  // hop, and on a long HOP_DEADLINE_MS past the grace period, when the log is never flushed.
  const pending = new Set<{ headersSent: boolean; setHeader(name: string, value: string): unknown }>();
  let stopping = false;
  const limits = httpLimits(config);
  const options = { fetch: app.fetch, port: config.PORT, hostname: config.HOST };
  const server = serve({ ...options, serverOptions: serverOptions(limits) }, (info) => {
    logger.info(
      {
        port: info.port,
        host: config.HOST,
        menus: config.MENUS_DIR,
        sessions: config.REDIS_URL ? 'redis' : 'memory',
      },
      'listening',
    );
  });
  let refused = { count: 0, reportedAt: 0 };
  limitConnections(server as Server, limits, (address) => {
    // One line per 10 s while an address is over its cap, not one per connection.
    refused.count++;
    if (Date.now() - refused.reportedAt < 10_000) return;
    logger.warn({ address, refused: refused.count }, '[http] too many connections from one address; dropped');
    refused = { count: 0, reportedAt: Date.now() };
  });
  server.on('request', (_req, res) => {
    pending.add(res);
    if (stopping) res.setHeader('Connection', 'close');
    res.once('close', () => pending.delete(res));
  });

  warmModel(model, config, logger);

  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(
      { signal, inFlight: pending.size },
      'shutting down: no new connections, finishing hops in flight',
    );
    for (const res of pending) if (!res.headersSent) res.setHeader('Connection', 'close');
    const forced = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS);
    forced.unref();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      // Idle keep-alive connections would hold close() open; hops in flight still finish.
      (server as unknown as { closeIdleConnections?: () => void }).closeIdleConnections?.();
    });
    await answerer.close();
    await knowledge?.close();
    await log.close();
    await store.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'));
}

function createStore(config: Config, logger: Logger): SessionStore<StoredSession> {
  const options = { prefix: config.REDIS_KEY_PREFIX, sessionTtlSeconds: config.SESSION_TTL_SECONDS };
  if (!config.REDIS_URL) {
    logger.warn(
      'REDIS_URL is not set: sessions are kept in this process only; run one process, or set REDIS_URL',
    );
    // Bounded by bytes, three quarters sessions, a quarter cached answers (issue 15).
    const bytes = config.MEMORY_STORE_MAX_MB * 1024 * 1024;
    return createMemorySessionStore<StoredSession>(options, {
      maxSessionBytes: Math.round(bytes * 0.75),
      maxCacheBytes: Math.round(bytes * 0.25),
    });
  }
  let lastReported = 0;
  const redis = createRedisClient(config.REDIS_URL, config.REDIS_COMMAND_TIMEOUT_MS, (error) => {
    // One line per 10 s while Redis is away, not one per reconnect attempt.
    if (Date.now() - lastReported > 10_000) {
      lastReported = Date.now();
      logger.error({ err: error.message }, '[session] [redis] connection problem');
    }
  });
  return createRedisSessionStore<StoredSession>(redis, options);
}

function warmModel(model: ReturnType<typeof createOllamaModel>, config: Config, logger: Logger): void {
  if (!config.OLLAMA_WARMUP) return;
  void model
    .check()
    .then(async (health) => {
      if (!health.ok) {
        // Say what to do, whatever is missing: Ollama, or the model (README "Quickstart").
        const model = config.OLLAMA_MODEL;
        const todo = health.detail.includes('ollama pull')
          ? health.detail
          : `${health.detail}; start Ollama there and run \`ollama pull ${model}\``;
        logger.warn(
          { ollama: config.OLLAMA_HOST, model, detail: health.detail },
          `Ollama is not ready at ${config.OLLAMA_HOST} (${todo}): questions get a friendly screen until it is`,
        );
        return;
      }
      const started = Date.now();
      await model.warm();
      logger.info({ model: config.OLLAMA_MODEL, ms: Date.now() - started }, 'model loaded');
    })
    .catch((error: unknown) => logger.warn({ err: (error as Error).message }, 'model warm-up failed'));
}

/** Every value that must never reach the log (logger.ts scrubs each line of them). */
function secretsOf(config: Config): string[] {
  const redisPassword = config.REDIS_URL ? decodeURIComponent(new URL(config.REDIS_URL).password) : '';
  return [
    config.CALLBACK_SECRET,
    config.API_TOKEN,
    config.ADMIN_TOKEN,
    config.PHONE_HASH_SECRET,
    redisPassword,
    // Daraja's credentials, and the secret of the callback URL it is given (issue 14).
    config.MPESA_CONSUMER_SECRET,
    config.MPESA_PASSKEY,
    callbackSecret(config.MPESA_CALLBACK_URL) ?? '',
  ].filter((s): s is string => typeof s === 'string' && s.length > 0);
}

function exitWith(error: unknown): never {
  if (error instanceof ConfigError || error instanceof MenuError || error instanceof KnowledgeError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(`start-up failed: ${(error as Error)?.stack ?? String(error)}\n`);
  }
  process.exit(1);
}

void main();
