// Daraja's STK callback (issue 14): POST <path of MPESA_CALLBACK_URL>, whose last segment is the
// secret (Daraja signs nothing, so the URL is protected as AT's callbacks are: protocol/guard.ts),
// optionally from MPESA_ALLOWED_IPS only. A payload we can act on is settled (settle.ts) and
// answered 200 with the acknowledgement Daraja's samples show; a wrong secret is a 403, what is
// not a callback a 400, a records store that cannot write a 500 (the sweep's query settles it
// later). Never a stack trace or an internal message in the body.
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Logger } from '../logger.ts';
import { ipGuard, sameSecret, type TrustProxy } from '../protocol/guard.ts';
import type { CallbackOutcome } from './settle.ts';

export interface CallbackRoutesDeps {
  /** The last path segment of MPESA_CALLBACK_URL. */
  secret: string;
  allowedIps: readonly string[];
  trustProxy: TrustProxy;
  callback: (body: unknown) => Promise<CallbackOutcome>;
  logger: Logger;
}

const MAX_BODY_BYTES = 16 * 1024;
const ACCEPTED = { ResultCode: 0, ResultDesc: 'Accepted' };

/** Mount at the path of MPESA_CALLBACK_URL without its last segment (e.g. /mpesa/callback). */
export function createMpesaCallbackRoutes(deps: CallbackRoutesDeps): Hono {
  const { secret, logger } = deps;
  const app = new Hono();
  app.post(
    '/:token',
    ipGuard({ allowedIps: deps.allowedIps, trustProxy: deps.trustProxy }),
    bodyLimit({ maxSize: MAX_BODY_BYTES, onError: (c) => c.json({ error: 'body too large' }, 413) }),
    async (c) => {
      if (!sameSecret(c.req.param('token'), secret)) {
        logger.warn('[payments] callback with a wrong secret: refused');
        return c.json({ error: 'forbidden' }, 403);
      }
      let body: unknown;
      try {
        body = JSON.parse(await c.req.text());
      } catch {
        return c.json({ error: 'the body is not JSON' }, 400);
      }
      let outcome: CallbackOutcome;
      try {
        outcome = await deps.callback(body);
      } catch (err) {
        logger.error({ err }, '[payments] callback not recorded: the status query will settle it');
        return c.json({ error: 'not recorded, try again' }, 500);
      }
      if (outcome === 'invalid') return c.json({ error: 'not an STK callback' }, 400);
      return c.json(ACCEPTED, 200);
    },
  );
  return app;
}
