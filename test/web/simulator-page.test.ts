// GET /simulator without a browser: the document served, its security headers, the callback path
// it is given, and the page's own copy of the GSM-7 tables against src/screen/gsm7.ts.
import { createHash } from 'node:crypto';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { isGsmChar, septets } from '../../src/screen/gsm7.ts';
import { createSimulatorRoutes, renderSimulatorPage } from '../../src/web/simulator.ts';

function mounted(callbackPath = '/ussd'): Hono {
  const app = new Hono();
  app.route('/simulator', createSimulatorRoutes({ callbackPath }));
  return app;
}

describe('GET /simulator', () => {
  it('serves the page as HTML with the callback path filled in', async () => {
    const res = await mounted().request('/simulator');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await res.text();
    expect(html).toContain('<body data-callback="/ussd"');
    expect(html).not.toContain('{{');
    for (const label of ['Shortcode', 'Phone number', 'Network code', 'Reply'])
      expect(html).toContain(`>${label}</label>`);
    expect(html).toContain('value="*384*123#"');
  });

  it('loads nothing from elsewhere', async () => {
    const html = await (await mounted().request('/simulator')).text();
    expect(html).not.toMatch(/\b(?:src|href)="(?!data:)/);
    expect(html).not.toMatch(/https?:\/\//);
  });

  it('lets only its own inline script and style run, and talk only to its own origin', async () => {
    const res = await mounted().request('/simulator');
    const html = await res.text();
    const csp = res.headers.get('content-security-policy') ?? '';
    const hash = (tag: string) => {
      const body = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(html)?.[1] ?? '';
      return `'sha256-${createHash('sha256').update(body).digest('base64')}'`;
    };
    expect(csp.split('; ')).toEqual([
      "default-src 'none'",
      `script-src ${hash('script')}`,
      `style-src ${hash('style')}`,
      "connect-src 'self'",
      "img-src 'self' data:",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ]);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('posts to the callback path it is given', async () => {
    const html = await (await mounted('/ussd/0123456789abcdef').request('/simulator')).text();
    expect(html).toContain('data-callback="/ussd/0123456789abcdef"');
  });

  it.each([
    '',
    'ussd',
    'http://elsewhere.example/ussd',
    '//elsewhere.example/ussd',
    '/ussd"><script>',
    '/ussd?x=1',
  ])('refuses the callback path %j', (callbackPath) => {
    expect(() => renderSimulatorPage({ callbackPath })).toThrow(TypeError);
  });

  it('answers nothing else', async () => {
    expect((await mounted().request('/simulator/other')).status).toBe(404);
    expect((await mounted().request('/simulator', { method: 'POST' })).status).toBe(404);
  });
});

describe("the page's GSM-7 tables", () => {
  const html = renderSimulatorPage({ callbackPath: '/ussd' });
  const literal = (name: string) => {
    const source = new RegExp(`const ${name} = ('(?:[^'\\\\]|\\\\.)*');`).exec(html)?.[1];
    if (!source) throw new Error(`${name} not found in the page`);
    return new Function(`return ${source}`)() as string;
  };
  const basic = new Set(literal('GSM_BASIC'));
  const extension = new Set(literal('GSM_EXTENSION'));

  it('agree with src/screen/gsm7.ts on every BMP character', () => {
    const disagreements: string[] = [];
    for (let code = 0; code <= 0xffff; code++) {
      const ch = String.fromCharCode(code);
      const page = basic.has(ch) ? 1 : extension.has(ch) ? 2 : 0;
      const server = isGsmChar(ch) ? septets(ch) : 0;
      if (page !== server) disagreements.push(`U+${code.toString(16)}: page ${page}, gsm7.ts ${server}`);
    }
    expect(disagreements).toEqual([]);
    expect(basic.size).toBe(127); // 128 positions, less 0x1B, the escape into the extension table
    expect(extension.size).toBe(10);
  });
});
