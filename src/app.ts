// The HTTP surface: AT's session callback and end-of-session notification, health and readiness,
// and the sub-apps the composition root mounts (JSON API, admin, simulator). createApp takes every
// dependency as an argument so tests can build one with any drivers (house style).
// The form reading and the readiness check are in http/ (read-form.ts, readiness.ts).
import { Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Deliveries } from './delivery/delivery.ts';
import { t } from './engine/render.ts';
import type { Journey, StoredSession } from './engine/types.ts';
import { createHopHandler, type HopOutcome, type HopSettings } from './hop/handler.ts';
import { readForm } from './http/read-form.ts';
import { createReadinessCheck } from './http/readiness.ts';
import type { Answerer } from './inference/types.ts';
import type { InteractionLog } from './log/types.ts';
import { type HopLogger, type Logger, lazyChild, REDACTED } from './logger.ts';
import type { Payments } from './payments/types.ts';
import { createPhoneKeys, hashPhone, maskPhone } from './phone.ts';
import { ANSWER_PENDING_HEADER, formatReply, type Hop, MAX_BODY_BYTES, parseHop } from './protocol/at.ts';
import { parseSessionEnd } from './protocol/events.ts';
import { type GuardOptions, ipGuard, secretGuard } from './protocol/guard.ts';
import { parseSmsReport } from './protocol/sms-report.ts';
import type { RecordsStore } from './records/types.ts';
import type { SessionStore } from './session/types.ts';
import type { Reply } from './types.ts';

export interface AppDeps {
  journey: Journey;
  store: SessionStore<StoredSession>;
  answerer: Answerer;
  /** Phone profiles and subscriptions, the system of record (the session store caches them). */
  records: RecordsStore;
  log: InteractionLog;
  /** PAYMENTS_MODE's driver; intent (no money moves) when not given. */
  payments?: Payments;
  logger: Logger;
  settings: HopSettings & {
    guard: GuardOptions;
    sessionDriver: 'redis' | 'memory';
    /** Where the log and the records are (issue 19); /readyz says it under `sqlite`. */
    databaseDriver?: 'sqlite' | 'postgres';
  };
  /** Sub-apps mounted at their path, e.g. ['/api', queryRoutes]. */
  mounts?: [string, Hono][];
  /** Where answers go once shown, or when a session ends unread (issue 13). */
  deliveries?: Deliveries;
  clock?: () => number;
}

const READINESS_CACHE_MS = 2000;
/**
 * An end-of-session notice's SMS decision never holds AT's request longer: a few Redis calls and a
 * queue add, each bounded by its client; at-protocol.md §4 says to answer notices quickly.
 */
const SESSION_END_MS = 1500;

export function createApp(deps: AppDeps): Hono {
  const { journey, store, answerer, log, logger, settings } = deps;
  const clock = deps.clock ?? Date.now;
  // One cache of subscribers for the hops, the failed hops' rows and the end-of-session notices.
  const phones = createPhoneKeys({
    secret: settings.phoneHashSecret,
    defaultCountry: settings.defaultCountry,
  });
  const phoneHash = (raw: string) => phones(raw)?.hash ?? hashPhone(raw, settings.phoneHashSecret);
  const handleHop = createHopHandler({ ...deps, phones, clock });
  const { deliveries } = deps;
  // Not strict: a callback URL registered as /ussd/ or /ussd/events/ must not 404 every hop (issue 16).
  const app = new Hono({ strict: false });
  const streamedLimit = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: (c) => c.text('Payload too large: AT sends small forms\n', 413),
  });
  // AT sends a Content-Length: checking it here is what bodyLimit does too, without bodyLimit's
  // touching c.req.raw.body, which builds a web Request and stream per hop (~20 % of a hop's CPU
  // in the issue 7 profile). A chunked body still goes through bodyLimit's counted read.
  const limit: MiddlewareHandler = async (c, next) => {
    const length = c.req.header('content-length');
    if (length === undefined || c.req.header('transfer-encoding') !== undefined)
      return streamedLimit(c, next);
    if (Number.parseInt(length, 10) > MAX_BODY_BYTES)
      return c.text('Payload too large: AT sends small forms\n', 413);
    await next();
  };
  const fallback = (lang = journey.defaultLanguage): Reply => ({
    kind: 'END',
    text: t(journey.texts.error, lang),
  });

  const ussd = async (c: import('hono').Context) => {
    const arrivedAt = clock();
    const form = await readForm(c);
    if (form instanceof Response) return form;
    const parsed = parseHop(form);
    if (!parsed.ok) return c.text(`Bad request: ${parsed.message}\n`, parsed.status);
    const hop = parsed.value;
    const hopLogger = lazyChild(logger, () => ({
      sessionId: hop.sessionId,
      caller: maskPhone(hop.phoneNumber),
    }));
    const outcome = await withinDeadline(
      handleHop(hop, arrivedAt, hopLogger),
      arrivedAt + settings.hopDeadlineMs - clock(),
      hopLogger,
      () => recordFailedHop(hop, arrivedAt),
    );
    hopLogger.info(
      {
        text: hop.text.length > 40 ? `${hop.text.slice(0, 40)}…` : hop.text,
        screen: outcome?.screen,
        ms: clock() - arrivedAt,
      },
      'hop',
    );
    // AT ignores the header; `npm run dial` reads it to fetch an answer still being written.
    const headers = outcome?.pending ? { [ANSWER_PENDING_HEADER]: '1' } : undefined;
    return c.text(formatReply(outcome?.reply ?? fallback()), 200, headers);
  };

  /**
   * The hop's answer, or null when it failed or ran out of time: the caller then sends the fallback
   * END. The handler logs the hops it answers (also when it finishes after the deadline); a hop
   * that fails, before or after the deadline, is logged here by `onFailed`, so every hop has one row.
   */
  function withinDeadline(
    work: Promise<HopOutcome>,
    ms: number,
    hopLogger: HopLogger,
    onFailed: () => void,
  ): Promise<HopOutcome | null> {
    // One promise and one timer per hop (a race of two promises allocated twice as much, per hop).
    return new Promise((resolve) => {
      let settled = false;
      const timer = setTimeout(
        () => {
          settled = true;
          hopLogger.warn('hop gave no answer in time; sent the fallback screen');
          resolve(null);
        },
        Math.max(0, ms - 50),
      );
      work.then(
        (outcome) => {
          clearTimeout(timer);
          if (!settled) resolve(outcome);
        },
        (error: unknown) => {
          clearTimeout(timer);
          hopLogger.error({ err: error }, 'hop failed');
          onFailed();
          if (!settled) resolve(null);
        },
      );
    });
  }

  /** The row of a hop answered by the funnel: its session could not be read, so its input is unknown. */
  function recordFailedHop(hop: Hop, arrivedAt: number): void {
    const reply = fallback();
    log.recordHop({
      at: arrivedAt,
      sessionId: hop.sessionId,
      phoneHash: phoneHash(hop.phoneNumber),
      ...(settings.storePhoneNumbers ? { phone: phones(hop.phoneNumber)?.e164 ?? hop.phoneNumber } : {}),
      serviceCode: hop.serviceCode,
      ...(hop.networkCode ? { networkCode: hop.networkCode } : {}),
      input: null,
      text: hop.text,
      screen: '@error',
      lang: journey.defaultLanguage,
      replyKind: reply.kind,
      reply: reply.text,
      latencyMs: clock() - arrivedAt,
      outcome: 'error',
    });
  }

  const events = async (c: import('hono').Context) => {
    const form = await readForm(c);
    if (form instanceof Response) return form;
    const end = parseSessionEnd(form);
    if ('error' in end) return c.text(`Bad request: ${end.error}\n`, 400);
    const { phoneNumber, raw, ...fields } = end;
    const hash = phoneNumber ? phoneHash(phoneNumber) : '';
    log.recordSessionEnd({
      ...fields,
      at: clock(),
      phoneHash: hash,
      ...(settings.storePhoneNumbers && phoneNumber
        ? { phone: phones(phoneNumber)?.e164 ?? phoneNumber }
        : {}),
      raw: JSON.stringify(settings.storePhoneNumbers ? raw : { ...raw, phoneNumber: hash }),
    });
    logger.info({ sessionId: end.sessionId, status: end.status, hops: end.hopsCount }, 'session ended');
    // An answer of this session not read yet goes by SMS (issue 13 §4). Recorded before the 200:
    // a 200 tells AT the notice is taken, and a replica killed right after it must not have lost
    // the hang-up (the answer would then wait for a dial that may never come). A few Redis calls,
    // bounded; if they fail the notice is refused, so a sender that retries sends it again (each
    // step is idempotent: the mark, the SMS job's id, the SMS claim).
    if (deliveries && end.phoneNumber) {
      const phone = phones(end.phoneNumber)?.e164 ?? end.phoneNumber;
      const handled = await within(deliveries.sessionEnded(end.sessionId, hash, phone), SESSION_END_MS);
      if (handled !== true) {
        logger.warn({ err: handled, sessionId: end.sessionId }, '[delivery] session end not handled');
        return c.text('Not recorded, try again\n', 503);
      }
    }
    return c.text('OK\n', 200);
  };

  /** AT's SMS delivery report: stored against its message (issue 13 §4); repeats change nothing. */
  const smsReport = async (c: import('hono').Context) => {
    const form = await readForm(c);
    if (form instanceof Response) return form;
    const report = parseSmsReport(form);
    if ('error' in report) return c.text(`Bad request: ${report.error}\n`, 400);
    log.recordSmsReport({
      at: clock(),
      messageId: report.messageId,
      status: report.status,
      failureReason: report.failureReason,
      networkCode: report.networkCode,
    });
    return c.text('OK\n', 200);
  };

  // With a secret, AT's URLs may carry it as a path segment: /ussd/<secret> and /ussd/<secret>/events.
  const bases = settings.guard.secret ? ['/ussd', '/ussd/:token'] : ['/ussd'];
  for (const base of bases) {
    for (const path of [base, `${base}/events`]) {
      app.use(path, ipGuard(settings.guard), secretGuard(settings.guard.secret));
    }
    app.post(`${base}/events`, limit, events);
    app.post(base, limit, ussd);
  }
  // The delivery-report URL is protected as the USSD callbacks are: /sms/<secret>/delivery or ?secret=.
  for (const path of settings.guard.secret ? ['/sms/delivery', '/sms/:token/delivery'] : ['/sms/delivery']) {
    app.use(path, ipGuard(settings.guard), secretGuard(settings.guard.secret));
    app.post(path, limit, smsReport);
  }
  app.all('/ussd', (c) =>
    c.text('Method not allowed: AT posts a form to this URL\n', 405, { Allow: 'POST' }),
  );

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  const checkReadiness = createReadinessCheck({ store, answerer, log, settings });
  let readiness: { at: number; body: Awaited<ReturnType<typeof checkReadiness>> } | null = null;
  app.get('/readyz', async (c) => {
    if (!readiness || clock() - readiness.at > READINESS_CACHE_MS)
      readiness = { at: clock(), body: await checkReadiness() };
    return c.json(readiness.body, readiness.body.ready ? 200 : 503);
  });

  for (const [path, sub] of deps.mounts ?? []) app.route(path, sub);

  app.notFound((c) => c.text('Not found\n', 404));
  app.onError((error, c) => {
    logger.error({ err: error, path: loggablePath(c.req.path) }, 'unhandled error');
    if (c.req.path.startsWith('/ussd')) return c.text(formatReply(fallback()), 200);
    return c.text('Internal error\n', 500);
  });
  return app;
}

/**
 * A path as the log may show it: a callback's path segment may be CALLBACK_SECRET (or a guess at
 * it), so whatever follows /ussd/ other than `events` is redacted (issue 15).
 */
export function loggablePath(path: string): string {
  return path.replace(/^\/ussd\/(?!events(?:\/|$))[^/]+/, `/ussd/${REDACTED}`);
}

/** True when `work` settled in `ms`; else what stopped it (its error, or a timeout error). */
async function within(work: Promise<unknown>, ms: number): Promise<true | Error> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Error>((resolve) => {
    timer = setTimeout(() => resolve(new Error(`[delivery] no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([
      work.then(
        () => true as const,
        (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
