// `npm run dial` driven through a pipe, as a script would drive it: against the real gateway
// (`tsx src/main.ts` with a fake Ollama, and with none), and against a capture server that checks
// every hop is the form AT posts and that bad replies are warned about.
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeOllama, startFakeOllama } from '../helpers/fake-ollama.ts';
import { freePort, type GatewayProcess, PROJECT_ROOT, startGateway } from '../helpers/gateway-process.ts';

const WELCOME = { kind: 'CON', text: 'Welcome to Ask\n1. Ask a question\n2. My account\n3. Help\n4. About' };
const ASK = { kind: 'CON', text: 'Type your question.\nLeft today: 5\n0. Back' };
const ABOUT_START = 'Ask is an AI assistant for basic phones.';

describe('against the running gateway with a model', () => {
  let gateway: GatewayProcess;
  let closeOllama: () => Promise<void>;
  beforeAll(async () => {
    const ollama = await startFakeOllama();
    closeOllama = ollama.close;
    gateway = await startGateway({ OLLAMA_HOST: ollama.url });
  });
  afterAll(async () => {
    await gateway?.stop();
    await closeOllama?.();
  });

  it('dials, chooses Ask, types a question and reads the answer', async () => {
    const run = await dial(
      ['--url', `${gateway.url}/ussd`, '--phone', '+254711000101'],
      '1\nwhat is malaria\n',
    );
    expect(run.code).toBe(0);
    expect(screens(run.stdout)).toEqual([
      WELCOME,
      ASK,
      {
        kind: 'CON',
        text: 'Malaria is spread by mosquitoes. Sleep under a treated net.\n1. Helpful\n2. Not helpful\n0. Back',
      },
    ]);
    expect(run.stderr).not.toContain('warning');
    expect(run.stderr).toMatch(/^hop 3 text="1\*what is malaria" CON \d+ ms$/m);
  });

  it('after END, Enter dials again with a fresh session and q quits', async () => {
    const run = await dial(['--url', `${gateway.url}/ussd`, '--phone', '+254711000102'], '4\n\n3\nq\n1\n');
    expect(run.code).toBe(0);
    const shown = screens(run.stdout);
    expect(shown.map((s) => s.kind)).toEqual(['CON', 'END', 'CON', 'END']);
    expect(shown[1]?.text.startsWith(ABOUT_START)).toBe(true);
    expect(shown[3]?.text).toContain('Choose 1 to ask a question');
    const ids = sessionIds(run.stderr);
    expect(ids).toHaveLength(2);
    expect(ids[0]).not.toBe(ids[1]);
  });
});

describe('against the running gateway with a slow model, piped', () => {
  const ANSWER =
    'Malaria is a disease that mosquitoes spread when they bite at night. Sleep under a treated net, ' +
    'and clear standing water near the house. See a health worker at once if a child has a fever.';
  let gateway: GatewayProcess;
  let ollama: FakeOllama;
  beforeAll(async () => {
    ollama = await startFakeOllama();
    ollama.set({ answer: ANSWER, firstTokenMs: 1500, tokenMs: 10 });
    gateway = await startGateway({ OLLAMA_HOST: ollama.url, HOP_DEADLINE_MS: '1000' });
  });
  afterAll(async () => {
    await gateway?.stop();
    await ollama?.close();
  });

  it('waits for an answer still being written, so a script reads it whole (issue 16)', async () => {
    const run = await dial(
      ['--url', `${gateway.url}/ussd`, '--phone', '+254711000103'],
      '1\nwhat is malaria\n1\n1\n',
    );
    expect(run.code).toBe(0);
    const shown = screens(run.stdout);
    expect(shown.map((s) => s.text.split('\n').at(-2))).toEqual([
      '3. Help',
      'Left today: 5',
      '1. More',
      '2. Not helpful',
      '1. Another question',
    ]);
    expect(shown.map((s) => s.text).join('\n')).not.toContain('Still working');
    expect(`${shown[2]?.text.split('\n')[0]} ${shown[3]?.text.split('\n')[0]}`).toBe(ANSWER);
    expect(run.stderr).toMatch(/answer still being written/);
  });

  it('with --wait 0, shows "still thinking" as it comes', async () => {
    const run = await dial(
      ['--url', `${gateway.url}/ussd`, '--phone', '+254711000104', '--wait', '0'],
      '1\nwhy do mosquitoes bite\n', // not the question above: its answer is in the cache
    );
    expect(screens(run.stdout).at(-1)).toEqual({
      kind: 'CON',
      text: 'Still working on your answer.\n1. Get answer\n0. Back',
    });
  });
});

describe('against the running gateway with Ollama unreachable', () => {
  let gateway: GatewayProcess;
  beforeAll(async () => {
    gateway = await startGateway(); // OLLAMA_HOST points at a closed port
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  it('shows the friendly failure screen', async () => {
    const run = await dial(['--url', `${gateway.url}/ussd`], '1\nwhat is malaria\n');
    expect(run.code).toBe(0);
    expect(screens(run.stdout)).toEqual([
      WELCOME,
      ASK,
      { kind: 'CON', text: 'Sorry, the assistant is not available now.\n1. Try again\n0. Back' },
    ]);
  });
});

describe.concurrent("speaking AT's protocol (capture server)", () => {
  it('posts the urlencoded form AT posts, with cumulative text and one session id', async () => {
    const server = await captureServer((_form, i) => (i < 2 ? 'CON Next' : 'END Done'));
    try {
      const args = [
        '--url',
        server.url,
        '--phone',
        '+254700000009',
        '--code',
        '*384*99#',
        '--network',
        '99999',
      ];
      const run = await dial(args, '1\nhello world\n');
      expect(run.code).toBe(0);
      expect(server.hops.map((h) => h.form.get('text'))).toEqual(['', '1', '1*hello world']);
      const id = server.hops[0]?.form.get('sessionId');
      expect(id).toMatch(/^ATUid_[0-9a-f]{32}$/);
      for (const hop of server.hops) {
        expect(hop.method).toBe('POST');
        expect(hop.type).toMatch(/^application\/x-www-form-urlencoded/);
        expect(hop.raw).toContain('phoneNumber=%2B254700000009'); // '+' as AT sends it
        expect(Object.fromEntries(hop.form)).toMatchObject({
          sessionId: id,
          serviceCode: '*384*99#',
          phoneNumber: '+254700000009',
          networkCode: '99999',
        });
      }
      expect(run.stdout).toBe('CON\nNext\n\nCON\nNext\n\nEND\nDone\n\n');
    } finally {
      await server.close();
    }
  });

  it('presses the key the pending header names until the answer is there, showing only the answer', async () => {
    const server = await captureServer((_form, i) =>
      i === 0
        ? 'CON Menu'
        : i < 3
          ? { body: 'CON Still thinking\n1. Get answer', pending: '1' }
          : 'CON The answer',
    );
    try {
      const run = await dial(['--url', server.url], '1\n');
      expect(run.code).toBe(0);
      expect(server.hops.map((h) => h.form.get('text'))).toEqual(['', '1', '1*1', '1*1*1']);
      expect(run.stdout).toBe('CON\nMenu\n\nCON\nThe answer\n\n');
    } finally {
      await server.close();
    }
  });

  it('sends one hop, the dial, when there is no input, and exits 0', async () => {
    const server = await captureServer(() => 'CON Menu');
    try {
      const run = await dial(['--url', server.url], '');
      expect(run.code).toBe(0);
      expect(server.hops).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  it.each([
    ['a 500', { status: 500, body: 'oops' }, 'ERROR\noops', 'warning: HTTP 500'],
    ['no prefix', { body: 'Welcome' }, 'ERROR\nWelcome', 'does not start with "CON " or "END "'],
    ['JSON', { type: 'application/json', body: 'END {}' }, 'END\n{}', 'not text/plain'],
    ['a long screen', { body: `END ${'a'.repeat(190)}` }, `END\n${'a'.repeat(190)}`, 'warning: 190 septets'],
    ['a non-GSM screen', { body: 'END \u201Chi\u201D' }, 'END\n\u201Chi\u201D', 'warning: not GSM-7'],
  ])('shows %s and warns', async (_name, reply, shown, warning) => {
    const server = await captureServer(() => reply);
    try {
      const run = await dial(['--url', server.url], 'q\n');
      expect(run.code).toBe(0);
      expect(run.stdout).toBe(`${shown}\n\n`);
      expect(run.stderr).toContain(warning);
    } finally {
      await server.close();
    }
  });

  it('exits 1 when the gateway cannot be reached', async () => {
    const run = await dial(['--url', `http://127.0.0.1:${await freePort()}/ussd`], '1\n');
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('error: no reply from');
  });

  it.each([
    [['--phone', '0711000001'], 1, "--phone must be E.164 with a leading '+'"],
    [['--url', 'ftp://example'], 1, '--url must be an http(s) URL'],
    [['--nope'], 1, "Unknown option '--nope'"],
    [['--help'], 0, 'usage: npm run dial'],
  ])('%j exits %i', async (args, code, message) => {
    const run = await dial(args, '');
    expect(run.code).toBe(code);
    expect(code === 0 ? run.stdout : run.stderr).toContain(message);
  });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with `input` piped to it; killed after 20 s so a hang fails the test. */
function dial(args: string[], input: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/dial.ts', ...args], {
      cwd: PROJECT_ROOT,
      env: { PATH: process.env['PATH'] ?? '', NO_COLOR: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

/** The screens in the CLI's piped output: a kind line, the text, a blank line. */
function screens(stdout: string): { kind: string; text: string }[] {
  return stdout
    .split(/\n\n(?=(?:CON|END|ERROR)\n|$)/)
    .filter(Boolean)
    .map((block) => {
      const [kind = '', ...text] = block.split('\n');
      return { kind, text: text.join('\n') };
    });
}

function sessionIds(stderr: string): string[] {
  return [...stderr.matchAll(/^dial .* (ATUid_[0-9a-f]{32})$/gm)].map((m) => m[1] ?? '');
}

interface Hop {
  method: string;
  type: string;
  raw: string;
  form: URLSearchParams;
}
type Reply = string | { status?: number; type?: string; body: string; pending?: string };

/** A loopback server that records each hop and answers with `reply(form, index)`. */
async function captureServer(reply: (form: URLSearchParams, index: number) => Reply) {
  const hops: Hop[] = [];
  const server = createServer(async (req, res) => {
    const raw = await readBody(req);
    const form = new URLSearchParams(raw);
    hops.push({ method: req.method ?? '', type: req.headers['content-type'] ?? '', raw, form });
    const r = reply(form, hops.length - 1);
    const {
      status = 200,
      type = 'text/plain; charset=utf-8',
      body,
      pending,
    } = typeof r === 'string' ? { body: r } : r;
    res
      .writeHead(status, { 'Content-Type': type, ...(pending ? { 'X-Answer-Pending': pending } : {}) })
      .end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/ussd`,
    hops,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  let raw = '';
  for await (const chunk of req) raw += chunk;
  return raw;
}
