// Child processes of the benchmark: the servers under load (each in its own process group, so its
// peak RSS and CPU are read over the group, as shared/bench-peer/run.sh does), a private Redis, and
// one-shot commands. Loopback only; every wait is bounded. It must not kill anything it did not start.
import { type ChildProcess, spawn } from 'node:child_process';
import { openSync, readdirSync, readFileSync } from 'node:fs';

export interface Server {
  name: string;
  url: string;
  child: ChildProcess;
  logFile: string;
  /** Peak RSS (VmHWM) summed over the process group, in MB. */
  peakRssMb(): number;
  /** CPU seconds (user + system) used so far by the process group. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

const CLOCK_TICKS = 100; // USER_HZ on Linux
const READY_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 12_000;

/** Starts `command` in its own process group with PORT set; resolves once POST <url> answers 200. */
export async function startServer(opts: {
  name: string;
  command: string[];
  cwd: string;
  env: Record<string, string>;
  port: number;
  logFile: string;
}): Promise<Server> {
  const [file, ...args] = opts.command;
  if (!file) throw new Error(`[bench] ${opts.name}: empty command`);
  const out = openSync(opts.logFile, 'a');
  const child = spawn(file, args, {
    cwd: opts.cwd,
    env: {
      PATH: process.env['PATH'] ?? '',
      HOME: process.env['HOME'] ?? '',
      ...opts.env,
      PORT: String(opts.port),
    },
    stdio: ['ignore', out, out],
    detached: true,
  });
  const url = `http://127.0.0.1:${opts.port}/ussd`;
  const pgid = child.pid ?? -1;
  const server: Server = {
    name: opts.name,
    url,
    child,
    logFile: opts.logFile,
    peakRssMb: () => Math.round(sumOverGroup(pgid, (pid) => statusKb(pid, 'VmHWM')) / 1024),
    cpuSeconds: () => sumOverGroup(pgid, cpuTicks) / CLOCK_TICKS,
    stop: () => stopGroup(child),
  };
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`[bench] ${opts.name} exited before it was ready; see ${opts.logFile}`);
    if (await answers(url)) return server;
    if (Date.now() - started > READY_TIMEOUT_MS) {
      await server.stop();
      throw new Error(`[bench] ${opts.name} not ready in ${READY_TIMEOUT_MS} ms; see ${opts.logFile}`);
    }
    await sleep(100);
  }
}

/** Runs a command to its end (bounded), returning stdout; throws with stderr on a non-zero exit. */
export async function runCommand(
  command: string[],
  opts: { cwd: string; timeoutMs: number; env?: Record<string, string> },
): Promise<string> {
  const { code, signal, stdout, stderr } = await runToEnd(command, opts);
  if (code === 0) return stdout;
  throw new Error(`${command.join(' ')} failed (${signal ?? code}): ${stderr.trim().slice(-600)}`);
}

/** Runs a command to its end (bounded, SIGKILL at the timeout) and returns what it said. */
export function runToEnd(
  command: string[],
  opts: { cwd: string; timeoutMs: number; env?: Record<string, string> },
): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  const [file, ...args] = command;
  return new Promise((resolve, reject) => {
    const child = spawn(file ?? 'false', args, {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** A private redis-server on `port` (no persistence), or null when redis-server is not installed. */
export async function startRedis(
  port: number,
  logFile: string,
): Promise<{ url: string; stop(): Promise<void> } | null> {
  const out = openSync(logFile, 'a');
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', out, out], detached: true },
  );
  const spawned = await new Promise<boolean>((resolve) => {
    child.once('spawn', () => resolve(true));
    child.once('error', () => resolve(false));
  });
  if (!spawned) return null;
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (await redisPing(port)) return { url, stop: () => stopGroup(child) };
    await sleep(50);
  }
  await stopGroup(child);
  throw new Error(`[bench] redis-server on port ${port} did not answer; see ${logFile}`);
}

/** PING over a raw socket: true when a Redis answers PONG on 127.0.0.1:port within a second. */
export async function redisPing(port: number): Promise<boolean> {
  const { createConnection } = await import('node:net');
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (d) => done(d.toString().startsWith('+PONG')));
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function answers(url: string): Promise<boolean> {
  const body = new URLSearchParams({
    sessionId: `ready_${Date.now()}`,
    serviceCode: '*384*123#',
    phoneNumber: '+254711000000',
    networkCode: '63902',
    text: '',
  });
  try {
    const res = await fetch(url, { method: 'POST', body, signal: AbortSignal.timeout(2000) });
    await res.text();
    return res.status === 200;
  } catch {
    return false;
  }
}

/** SIGTERM to the group, then SIGKILL after the grace period; resolves when the leader has exited. */
async function stopGroup(child: ChildProcess): Promise<void> {
  const pgid = child.pid;
  if (pgid === undefined) return;
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  signalGroup(pgid, 'SIGTERM');
  const timer = setTimeout(() => signalGroup(pgid, 'SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
  for (let i = 0; i < 50 && groupPids(pgid).length > 0; i++) await sleep(100);
  if (groupPids(pgid).length > 0) signalGroup(pgid, 'SIGKILL');
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // the group is already gone
  }
}

/** Live (non-zombie) processes whose process group is `pgid`. */
function groupPids(pgid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(Number(entry));
    // After the command name: [0] state, [1] ppid, [2] pgrp.
    if (fields && fields[2] === String(pgid) && fields[0] !== 'Z') pids.push(Number(entry));
  }
  return pids;
}

function sumOverGroup(pgid: number, read: (pid: number) => number): number {
  return groupPids(pgid).reduce((sum, pid) => sum + read(pid), 0);
}

function statusKb(pid: number, field: string): number {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${field}:`));
    return Number(line?.split(/\s+/)[1] ?? 0);
  } catch {
    return 0;
  }
}

function cpuTicks(pid: number): number {
  const fields = statFields(pid);
  // utime and stime are fields 14 and 15 of /proc/<pid>/stat; [11] and [12] after the name.
  return fields ? Number(fields[11] ?? 0) + Number(fields[12] ?? 0) : 0;
}

/** The fields of /proc/<pid>/stat after the parenthesised command name (which may hold spaces). */
function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}
