// The composition root: reads config, loads the journey, picks and builds the drivers, builds the
// app, serves, warms the model, and on SIGTERM/SIGINT drains and closes everything. The only file
// that knows which drivers exist; nothing imports it.
// Its helpers are in main/ (part of the root): the shared-state drivers (stores.ts), the log secrets.
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import { createApp } from './app.ts';
import { type Config, loadConfig, openDoorsOf } from './config.ts';
import { createDatabase } from './database.ts';
import { createDeliveries, type Deliveries, type SmsRequest } from './delivery/delivery.ts';
import { createSmsOutbox } from './delivery/outbox.ts';
import { loadJourney } from './engine/load.ts';
import { wrapWarnings } from './engine/readability.ts';
import { t } from './engine/render.ts';
import type { Journey } from './engine/types.ts';
import { ConfigError, KnowledgeError, MenuError } from './errors.ts';
import { limitConnections, serverOptions } from './http/limits.ts';
import { createAnswerer } from './inference/answerer.ts';
import { loadFaq } from './inference/faq.ts';
import { createModelHosts } from './inference/hosts.ts';
import { createOllamaModel } from './inference/ollama.ts';
import { createQueryRoutes } from './inference/query-route.ts';
import { type OpenedKnowledge, openKnowledge } from './knowledge/base.ts';
import { createLogger } from './logger.ts';
import { secretsOf } from './main/secrets.ts';
import { createCapacity, createStore } from './main/stores.ts';
import { setUpPayments } from './payments/setup.ts';
import { hashPhone } from './phone.ts';
import { describeTarget } from './redis/connection.ts';
import { createAdminRoutes } from './report/admin.ts';
import {
  answererOptions,
  appSettings,
  httpLimits,
  journeyFacts,
  knowledgeBounds,
  redisTarget,
  smsOn,
} from './settings.ts';
import { createAtSmsSender, defaultAtApiUrl } from './sms/africastalking.ts';
import { composeSms } from './sms/text.ts';
import { createSimulatorRoutes } from './web/simulator.ts';

const SHUTDOWN_GRACE_MS = 10_000;

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    return exitWith(error);
  }
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

  const redisAt = redisTarget(config);
  const { store, redis } = createStore(config, redisAt, logger);
  // SQLite at DATABASE_PATH (one worker thread owns the file) or PostgreSQL at DATABASE_URL (issue 19).
  const database = createDatabase(config, logger);
  const { log, records } = database;
  const capacity = createCapacity(config, redisAt, redis, logger);
  const hosts = createModelHosts({
    models: config.OLLAMA_HOST.map((host) =>
      createOllamaModel({ host, model: config.OLLAMA_MODEL, numCtx: config.OLLAMA_NUM_CTX }),
    ),
    slots: capacity.slots,
    logger,
    slotsPerHost: config.OLLAMA_MAX_CONCURRENT,
    onChange: (n) => void capacity.questions.setGlobalConcurrency(Math.max(1, n)).catch(() => {}),
  });
  const settings = appSettings(config);
  const { phoneHashSecret } = settings;

  // SMS (issue 13 §4): through AT with credentials; without, answers wait for the next dial.
  let deliveries: Deliveries | undefined;
  const outbox = smsOn(config)
    ? createSmsOutbox({
        sender: createAtSmsSender({
          username: config.AT_USERNAME ?? '',
          apiKey: config.AT_API_KEY ?? '',
          ...(config.AT_SMS_FROM ? { from: config.AT_SMS_FROM } : {}),
          baseUrl: config.AT_API_URL ?? defaultAtApiUrl(config.AT_USERNAME ?? ''),
        }),
        queue: capacity.sms,
        claims: capacity.claims,
        log,
        logger,
        compose: (r) => smsText(journey, r, config.SMS_MAX_PARTS),
        deliveries: () => deliveries as Deliveries,
        storePhoneNumbers: config.STORE_PHONE_NUMBERS,
      })
    : null;
  if (!outbox)
    logger.info('SMS is off (AT_USERNAME and AT_API_KEY unset): late answers wait for the next dial');
  deliveries = createDeliveries({ store, log, logger, sms: outbox ? (r) => outbox.request(r) : null });
  outbox?.start();
  const answerer = createAnswerer({
    hosts,
    cache: store,
    answers: store,
    queue: capacity.questions,
    log,
    faq,
    ...(knowledge ? { knowledge } : {}),
    logger,
    hashUserId: (userId) => hashPhone(userId, phoneHashSecret),
    onAnswered: (job, _progress, pending) =>
      (deliveries as Deliveries).answered(pending, job.phoneHash, job.phone),
    options: answererOptions(config),
  });
  hosts.start();

  // PAYMENTS_MODE (issue 14): intent, or M-Pesa with Daraja's callback served at its URL's path.
  const { payments, mounts: paymentMounts } = setUpPayments(config, {
    journey,
    records,
    log,
    store,
    logger,
    hashPhone: (phone) => hashPhone(phone, phoneHashSecret),
  });

  const app = createApp({
    journey,
    store,
    answerer,
    records,
    payments,
    log,
    logger,
    settings,
    deliveries,
    mounts: [
      ...paymentMounts,
      ...(config.API_ENABLED
        ? [['/api', createQueryRoutes({ answerer, apiToken: config.API_TOKEN, logger })] as [string, Hono]]
        : []),
      [
        '/admin',
        createAdminRoutes({
          source: database.report,
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
        sessions: redisAt ? describeTarget(redisAt) : 'memory',
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

  if (config.OLLAMA_WARMUP)
    void hosts
      .warm()
      .catch((error: unknown) => logger.warn({ err: (error as Error).message }, 'model warm-up failed'));

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
    await payments.close();
    await knowledge?.close();
    await outbox?.close();
    await capacity.slots.close();
    await database.close();
    await store.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'));
}

/** The SMS of an answer, in its asker's language, fitted to SMS_MAX_PARTS. */
function smsText(journey: Journey, r: SmsRequest, maxParts: number): string {
  const template = t(r.kind === 'failure' ? journey.texts.smsFailed : journey.texts.smsAnswer, r.lang);
  const answer =
    r.answer.failure !== undefined && !/[.!?]$/.test(r.answer.text) ? `${r.answer.text}...` : r.answer.text;
  return composeSms(template, { question: r.question, answer }, maxParts);
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
