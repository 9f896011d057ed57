// `npm run dial -- [--url …] [--phone …] [--code …] [--network …]`: a terminal phone for the
// gateway (issue 6). Posts hops exactly as Africa's Talking does and shows each screen as a
// handset would. It sends only the hops the user keys in, only to --url; nothing in the background.
// On a terminal it draws boxes; piped, it reads one key press per line and prints greppable screens.
import { createInterface, type Interface } from 'node:readline';
import { parseArgs } from 'node:util';
import { ANSWER_PENDING_HEADER } from '../protocol/at.ts';
import {
  boxScreen,
  type Dialer,
  hopForm,
  newSessionId,
  plainScreen,
  type ReadReply,
  readReply,
  screenSize,
} from './dial-session.ts';

const USAGE = `usage: npm run dial -- [--url URL] [--phone +E164] [--code '*384*123#'] [--network MCCMNC]
  --url      the gateway's USSD callback (default http://127.0.0.1:3000/ussd)
  --phone    the subscriber, E.164 with '+' (default +254711000001)
  --code     the service code dialled (default *384*123#; quote it in a shell)
  --network  the network code AT sends (default 63902, Safaricom KE; the sandbox uses 99999)
  --timeout  milliseconds to wait for a reply (default 30000)
  --wait     milliseconds to wait for an answer still being written, pressing "Get answer" for
             you (default 30000 when piped, 0 on a terminal; 0 shows "still thinking" as it comes)
Type your reply and Enter to send it. After END, Enter dials again and q quits; end of input quits.
With standard input not a terminal: one key press per line, screens on stdout as
"CON"|"END"|"ERROR", the screen text, a blank line; hop timings and warnings on stderr.`;

interface Options {
  url: string;
  dialer: Dialer;
  timeoutMs: number;
  /** How long to keep fetching an answer still being written (null: the default for the terminal). */
  waitMs: number | null;
}

/** How often an answer still being written is asked for again, as a patient person would. */
const ANSWER_POLL_MS = 500;
const PIPED_WAIT_MS = 30_000;

async function main(argv: string[]): Promise<number> {
  const options = parseOptions(argv);
  if (typeof options === 'string') {
    if (options === USAGE) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    process.stderr.write(`${options}\n${USAGE}\n`);
    return 1;
  }
  const tty = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  const rl = createInterface({
    input: process.stdin,
    output: tty ? process.stdout : undefined,
    terminal: tty,
  });
  rl.on('SIGINT', () => rl.close());
  const lines = rl[Symbol.asyncIterator]();
  const ui = tty ? terminalUi(rl) : pipeUi();
  // A script cannot press "1. Get answer" at the right moment; a person can (issue 16).
  const waitMs = options.waitMs ?? (tty ? 0 : PIPED_WAIT_MS);
  try {
    for (;;) {
      const sessionId = newSessionId();
      const inputs: string[] = [];
      ui.dialling(options, sessionId);
      for (;;) {
        let hop = await send(options, sessionId, inputs);
        const waitUntil = performance.now() + waitMs;
        while (!('error' in hop) && hop.pending !== null && performance.now() + ANSWER_POLL_MS < waitUntil) {
          ui.pending(inputs.length + 1, inputs.join('*'), hop.ms, hop.pending);
          await new Promise((r) => setTimeout(r, ANSWER_POLL_MS));
          inputs.push(hop.pending);
          hop = await send(options, sessionId, inputs);
        }
        const text = inputs.join('*');
        if ('error' in hop) {
          ui.failed(options.url, hop.error);
          if (!tty) return 1; // a script must not mistake an unreachable gateway for a finished journey
          break;
        }
        ui.screen(inputs.length + 1, text, hop.reply, hop.ms);
        if (hop.reply.kind !== 'CON') break;
        const next = await ui.read(lines, '> ');
        if (next === null) return 0;
        inputs.push(next);
      }
      const again = await ui.read(lines, 'Session ended. Enter to dial again, q to quit: ');
      if (again === null || again.trim().toLowerCase() === 'q') return 0;
    }
  } finally {
    rl.close();
  }
}

function parseOptions(argv: string[]): Options | string {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        url: { type: 'string', default: 'http://127.0.0.1:3000/ussd' },
        phone: { type: 'string', default: '+254711000001' },
        code: { type: 'string', default: '*384*123#' },
        network: { type: 'string', default: '63902' },
        timeout: { type: 'string', default: '30000' },
        wait: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    return (err as Error).message;
  }
  if (values['help']) return USAGE;
  const url = String(values['url']);
  const phone = String(values['phone']);
  const code = String(values['code']).trim();
  const network = String(values['network']).trim();
  const timeoutMs = Number(values['timeout']);
  const waitMs = values['wait'] === undefined ? null : Number(values['wait']);
  if (!/^https?:\/\/[^/]/.test(url) || !URL.canParse(url)) return `--url must be an http(s) URL, got ${url}`;
  if (!/^\+\d{6,15}$/.test(phone)) return `--phone must be E.164 with a leading '+', got ${phone}`;
  if (code === '') return '--code must not be empty';
  if (!Number.isInteger(timeoutMs) || timeoutMs < 100) return `--timeout must be a whole number of ms >= 100`;
  if (waitMs !== null && (!Number.isInteger(waitMs) || waitMs < 0))
    return `--wait must be a whole number of ms >= 0`;
  return { url, dialer: { serviceCode: code, phoneNumber: phone, networkCode: network }, timeoutMs, waitMs };
}

async function send(
  options: Options,
  sessionId: string,
  inputs: readonly string[],
): Promise<{ reply: ReadReply; ms: number; pending: string | null } | { error: string }> {
  const started = performance.now();
  try {
    const res = await fetch(options.url, {
      method: 'POST',
      body: hopForm(options.dialer, sessionId, inputs),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    const body = await res.text();
    const ms = Math.round(performance.now() - started);
    const reply = readReply(res.status, res.headers.get('content-type') ?? '', body, ms);
    return { reply, ms, pending: reply.kind === 'CON' ? pendingKey(res.headers) : null };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    if (e.name === 'TimeoutError') return { error: `no reply within ${options.timeoutMs} ms` };
    return { error: e.cause?.code ?? e.cause?.message ?? e.message };
  }
}

interface Ui {
  dialling(options: Options, sessionId: string): void;
  screen(hop: number, text: string, reply: ReadReply, ms: number): void;
  /** A "still thinking" screen that will be asked again with `key`, not shown. */
  pending(hop: number, text: string, ms: number, key: string): void;
  failed(url: string, error: string): void;
  /** The next line typed, or null at end of input. */
  read(lines: AsyncIterator<string>, prompt: string): Promise<string | null>;
}

function terminalUi(rl: Interface): Ui {
  const color = !process.env['NO_COLOR'];
  const paint = (code: string, s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const out = (s: string) => process.stdout.write(`${s}\n`);
  return {
    dialling(options, sessionId) {
      out(
        paint(
          '2',
          `\nDialling ${options.dialer.serviceCode} as ${options.dialer.phoneNumber} → ${options.url}`,
        ),
      );
      out(paint('2', `session ${sessionId}`));
    },
    screen(hop, text, reply, ms) {
      out(paint('2', `hop ${hop}  text="${text}"`));
      out(reply.kind === 'ERROR' ? paint('31', reply.text || '(empty body)') : boxScreen(reply.text));
      const size = reply.kind === 'ERROR' ? '' : `  ${screenSize(reply.text)}`;
      out(paint(reply.kind === 'CON' ? '32' : '1', `${reply.kind}  ${ms} ms${size}`));
      for (const w of reply.warnings) out(paint('33', `warning: ${w}`));
    },
    pending(hop, text, ms, key) {
      out(paint('2', `hop ${hop}  text="${text}"  ${ms} ms: answer still being written; pressing ${key}`));
    },
    failed(url, error) {
      out(paint('31', `error: no reply from ${url}: ${error}`));
    },
    async read(lines, prompt) {
      rl.setPrompt(prompt);
      rl.prompt();
      const next = await lines.next();
      return next.done ? null : next.value;
    },
  };
}

function pipeUi(): Ui {
  const err = (s: string) => process.stderr.write(`${s}\n`);
  return {
    dialling(options, sessionId) {
      err(`dial ${options.dialer.serviceCode} ${options.dialer.phoneNumber} ${options.url} ${sessionId}`);
    },
    screen(hop, text, reply, ms) {
      process.stdout.write(plainScreen(reply));
      err(`hop ${hop} text="${text}" ${reply.kind} ${ms} ms`);
      for (const w of reply.warnings) err(`warning: ${w}`);
    },
    pending(hop, text, ms, key) {
      err(`hop ${hop} text="${text}" CON ${ms} ms: answer still being written; pressing ${key}`);
    },
    failed(url, error) {
      err(`error: no reply from ${url}: ${error}`);
    },
    async read(lines) {
      const next = await lines.next();
      return next.done ? null : next.value.replace(/\r$/, '');
    },
  };
}

/** The key a "still thinking" reply says fetches the answer (X-Answer-Pending), or null. */
function pendingKey(headers: Headers): string | null {
  const key = headers.get(ANSWER_PENDING_HEADER)?.trim() ?? '';
  return /^\d{1,3}$/.test(key) ? key : null;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`dial failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
