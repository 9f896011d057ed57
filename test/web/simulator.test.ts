// The feature-phone page in headless Chromium (Debian's, driven by playwright-core): against the
// real gateway with a fake Ollama (dial, choose, ask, read the answer; screenshot kept in
// test-artifacts/simulator.png), and against a capture server that checks the browser posts
// exactly what AT posts and that screens a phone could not show are flagged. Never skips:
// scripts/ensure-chromium.sh installs Chromium when it is missing.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulatorRoutes } from '../../src/web/simulator.ts';
import { type FakeOllama, startFakeOllama } from '../helpers/fake-ollama.ts';
import { type GatewayProcess, PROJECT_ROOT, startGateway } from '../helpers/gateway-process.ts';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const SCREENSHOT = join(PROJECT_ROOT, 'test-artifacts', 'simulator.png');
const WAIT_MS = 10_000;

let browser: Browser;
beforeAll(async () => {
  execFileSync('bash', [join(PROJECT_ROOT, 'scripts/ensure-chromium.sh')], {
    stdio: 'inherit',
    timeout: 590_000,
  });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    timeout: 30_000,
  });
}, 600_000);
afterAll(async () => {
  await browser?.close();
});

describe('against the running gateway with a model', () => {
  let gateway: GatewayProcess;
  let ollama: FakeOllama;
  beforeAll(async () => {
    ollama = await startFakeOllama();
    gateway = await startGateway({ OLLAMA_HOST: ollama.url });
  });
  afterAll(async () => {
    await gateway?.stop();
    await ollama?.close();
  });

  it('dials, chooses Ask, types a question and reads the answer', async () => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 860 } });
    const errors = collectErrors(page);
    await page.goto(`${gateway.url}/simulator`);
    await page.getByLabel('Phone number').fill('+254711000201');
    await page.getByRole('button', { name: 'Send' }).click();
    expect(await screenAfterHop(page, 'con')).toBe(
      'Welcome to Ask\n1. Ask a question\n2. My account\n3. Help\n4. About',
    );
    await page.getByRole('button', { name: '1', exact: true }).click(); // the keypad
    await page.getByRole('button', { name: 'Send' }).click();
    expect(await screenAfterHop(page, 'con')).toBe('Type your question.\nLeft today: 5\n0. Back');
    await page.keyboard.type('what is malaria'); // the reply field has the focus
    await page.keyboard.press('Enter');
    expect(await screenAfterHop(page, 'con')).toBe(
      'Malaria is spread by mosquitoes. Sleep under a treated net.\n1. Helpful\n2. Not helpful\n0. Back',
    );
    const hops = await page.locator('#hops > li').allTextContents();
    expect(hops).toHaveLength(3);
    expect(hops[2]).toMatch(/^text="1\*what is malaria" → CON · HTTP 200 · \d+ ms · 93\/182$/);
    expect(await page.locator('#bar-right').textContent()).toMatch(/^\d+ ms$/);
    expect(await page.locator('#note').isVisible()).toBe(false);
    mkdirSync(join(PROJECT_ROOT, 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('after END shows the text and dials again with a fresh session', async () => {
    const page = await browser.newPage();
    await page.goto(`${gateway.url}/simulator`);
    await page.getByLabel('Phone number').fill('+254711000202');
    await page.keyboard.press('Enter'); // Enter in a field dials too
    await screenAfterHop(page, 'con');
    const first = await page.locator('#session').textContent();
    await page.keyboard.type('4');
    await page.keyboard.press('Enter');
    expect(await screenAfterHop(page, 'end')).toMatch(/^Ask is an AI assistant for basic phones\./);
    expect(await page.locator('#bar-left').textContent()).toContain('Ended');
    await page.getByRole('button', { name: 'Dial again' }).click();
    expect(await screenAfterHop(page, 'con')).toMatch(/^Welcome to Ask/);
    const second = await page.locator('#session').textContent();
    expect(second).toMatch(/^ATUid_[0-9a-f]{32}$/);
    expect(second).not.toBe(first);
    await page.close();
  });
});

describe("speaking AT's protocol (capture server)", () => {
  const hops: { type: string; raw: string; form: URLSearchParams }[] = [];
  let url: string;
  let close: () => void;
  beforeAll(async () => {
    const app = new Hono();
    app.route('/simulator', createSimulatorRoutes({ callbackPath: '/ussd' }));
    app.post('/ussd', async (c) => {
      const raw = await c.req.text();
      const form = new URLSearchParams(raw);
      hops.push({ type: c.req.header('content-type') ?? '', raw, form });
      const text = form.get('text') ?? '';
      if (text === '') return c.text('CON Menu\n1. Long\n2. Unicode\n3. Broken\n4. Bye');
      if (text === '1') return c.text(`CON ${'a'.repeat(190)}`);
      if (text === '2') return c.text(`END \u201C${'b'.repeat(90)}\u201D`);
      if (text === '3') return c.json({ error: 'boom' }, 500);
      return c.text(`END Bye after ${text}`);
    });
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => server.close();
  });
  afterAll(() => close?.());

  it('posts the urlencoded form AT posts, with cumulative text and a fresh session per dial', async () => {
    hops.length = 0;
    const page = await browser.newPage();
    await page.goto(`${url}/simulator`);
    await page.getByLabel('Shortcode').fill('*384*99#');
    await page.getByLabel('Phone number').fill('+254700000009');
    await page.getByLabel('Network code').fill('99999');
    await page.getByRole('button', { name: 'Send' }).click();
    await screenAfterHop(page, 'con');
    await page.keyboard.type('hello world');
    await page.keyboard.press('Enter');
    expect(await screenAfterHop(page, 'end')).toBe('Bye after hello world');
    await page.keyboard.press('Enter'); // dial again
    await screenAfterHop(page, 'con');
    expect(hops.map((h) => h.form.get('text'))).toEqual(['', 'hello world', '']);
    const ids = hops.map((h) => h.form.get('sessionId'));
    expect(ids[0]).toMatch(/^ATUid_[0-9a-f]{32}$/);
    expect(ids[1]).toBe(ids[0]);
    expect(ids[2]).not.toBe(ids[0]);
    for (const hop of hops) {
      expect(hop.type).toMatch(/^application\/x-www-form-urlencoded/);
      expect(hop.raw).toContain('phoneNumber=%2B254700000009');
      expect([...hop.form.keys()].sort()).toEqual([
        'networkCode',
        'phoneNumber',
        'serviceCode',
        'sessionId',
        'text',
      ]);
      expect(hop.form.get('serviceCode')).toBe('*384*99#');
      expect(hop.form.get('networkCode')).toBe('99999');
    }
    await page.close();
  });

  it.each([
    ['1', 'con', 'a'.repeat(190), 'Would not fit a phone: 190 septets, over the 182 a screen can show.'],
    ['2', 'end', `\u201C${'b'.repeat(90)}\u201D`, 'Would not fit a phone: not GSM-7 (\u201C \u201D)'],
    ['3', 'end', 'Connection problem or invalid MMI code.', "HTTP 500: Africa's Talking ends the session"],
  ])('choice %s shows a note on the phone', async (choice, state, screen, note) => {
    const page = await browser.newPage();
    await page.goto(`${url}/simulator`);
    await page.getByRole('button', { name: 'Send' }).click();
    await screenAfterHop(page, 'con');
    await page.locator(`[data-key="${choice}"]`).click();
    await page.getByRole('button', { name: 'Send' }).click();
    expect(await screenAfterHop(page, state)).toBe(screen);
    expect(await page.locator('#note').isVisible()).toBe(true);
    expect(await page.locator('#note').textContent()).toContain(note);
    await page.close();
  });

  it('Cancel hangs up and shows the dial screen again', async () => {
    const page = await browser.newPage();
    await page.goto(`${url}/simulator`);
    await page.getByRole('button', { name: 'Send' }).click();
    await screenAfterHop(page, 'con');
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.locator('body[data-state="idle"]').waitFor({ timeout: WAIT_MS });
    expect(await page.locator('#display').textContent()).toBe('*384*123#\n\nPress Send to dial');
    await page.close();
  });
});

/** Waits for the hop to settle in `state` and returns what the phone's screen shows. */
async function screenAfterHop(page: Page, state: string): Promise<string> {
  await page.locator(`body[data-state="${state}"]`).waitFor({ timeout: WAIT_MS });
  return (await page.locator('#display').textContent()) ?? '';
}

function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  return errors;
}
