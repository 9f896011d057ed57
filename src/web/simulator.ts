// GET /simulator: the feature-phone page (issue 6), a sub-app the composition root mounts. The page
// is one static document (simulator.html) read once at import; this file only fills in the callback
// path and serves it under a strict CSP. It must not proxy hops or post anywhere itself: the browser
// posts to the gateway's own callback, as AT would.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Hono } from 'hono';

export interface SimulatorOptions {
  /** Where the gateway serves AT's session callback, e.g. '/ussd'. Same origin as the page. */
  callbackPath: string;
}

const TEMPLATE = readFileSync(new URL('./simulator.html', import.meta.url), 'utf8');

export function createSimulatorRoutes(options: SimulatorOptions): Hono {
  const page = renderSimulatorPage(options);
  const headers = {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Security-Policy': contentSecurityPolicy(page),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-cache',
  };
  const app = new Hono();
  app.get('/', (c) => c.body(page, 200, headers));
  return app;
}

/** The page's HTML with the callback path filled in. */
export function renderSimulatorPage(options: SimulatorOptions): string {
  const path = options.callbackPath;
  // Same-origin only: a path, never a URL ('//host' is one too), so the page cannot post elsewhere.
  if (!/^\/(?!\/)[A-Za-z0-9/_.~-]*$/.test(path)) {
    throw new TypeError(`simulator callbackPath must be a plain absolute path, got ${JSON.stringify(path)}`);
  }
  return TEMPLATE.replaceAll('{{CALLBACK_PATH}}', path);
}

/** Only this page's own inline script and style may run, and it may only talk to its own origin. */
function contentSecurityPolicy(page: string): string {
  const hashes = (tag: string) =>
    [...page.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))]
      .map(
        (m) =>
          `'sha256-${createHash('sha256')
            .update(m[1] ?? '')
            .digest('base64')}'`,
      )
      .join(' ');
  return [
    "default-src 'none'",
    `script-src ${hashes('script')}`,
    `style-src ${hashes('style')}`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
