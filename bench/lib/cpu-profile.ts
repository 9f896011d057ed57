// Summarises a V8 .cpuprofile (node --cpu-prof): self time per function and per module, the
// "top frames" the benchmark README quotes. Pure reading of one file; it must not profile anything.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
}

export interface FrameTime {
  name: string;
  ms: number;
  /** Share of the non-idle time. */
  pct: number;
}

export interface ProfileSummary {
  totalMs: number;
  idleMs: number;
  frames: FrameTime[];
  modules: FrameTime[];
}

/** `skipMs`: samples in the first milliseconds of the profile (start-up) are left out. */
export function summariseProfile(path: string, root: string, top = 15, skipMs = 0): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  // Each sample's time is the delta to the next sample (the first delta is the start offset).
  let at = 0;
  for (let i = 0; i < samples.length; i++) {
    at += deltas[i] ?? 0;
    if (at < skipMs * 1000) continue;
    const id = samples[i] ?? -1;
    selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, deltas[i + 1] ?? 0));
  }
  const byFrame = new Map<string, number>();
  const byModule = new Map<string, number>();
  let idleUs = 0;
  let totalUs = 0;
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    if (us === 0) continue;
    totalUs += us;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    const file = shortUrl(url, root);
    const frame = file ? `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}` : functionName;
    byFrame.set(frame, (byFrame.get(frame) ?? 0) + us);
    const module = moduleOf(file, functionName);
    byModule.set(module, (byModule.get(module) ?? 0) + us);
  }
  const busyUs = Math.max(1, totalUs - idleUs);
  const rank = (m: Map<string, number>): FrameTime[] =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: Math.round(us / 1000), pct: Math.round((1000 * us) / busyUs) / 10 }));
  return {
    totalMs: Math.round(totalUs / 1000),
    idleMs: Math.round(idleUs / 1000),
    frames: rank(byFrame),
    modules: rank(byModule),
  };
}

export function formatSummary(s: ProfileSummary): string {
  const busy = s.totalMs - s.idleMs;
  const lines = [`profile: ${s.totalMs} ms sampled, ${busy} ms busy (${s.idleMs} ms idle)`];
  lines.push('top self time by module:');
  for (const m of s.modules) lines.push(`  ${String(m.pct).padStart(5)} %  ${m.name}`);
  lines.push('top self time by function:');
  for (const f of s.frames) lines.push(`  ${String(f.pct).padStart(5)} %  ${f.name}`);
  return lines.join('\n');
}

function shortUrl(url: string, root: string): string {
  const path = url.replace(/^file:\/\//, '');
  if (path.startsWith(root)) return path.slice(root.length + 1);
  return path;
}

/** node_modules/<pkg>, src/<file>, node:<internal>, or the V8 pseudo-frame ((garbage collector)…). */
function moduleOf(file: string, functionName: string): string {
  if (!file) return functionName || '(native)';
  if (file.includes('node_modules/.cache/ussd-ai-gateway/')) return 'src (bundled by npm run build)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  if (nm) return `node_modules/${nm[1]}`;
  // node:internal/deps/undici/undici:9787 -> node:internal/deps/undici/undici
  if (file.startsWith('node:')) return file.replace(/:\d+$/, '');
  return file;
}

/** The main thread's profile: the largest file (tsx's module loader thread writes a small one too). */
export function newestProfile(dir: string): string | null {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => ({ path: join(dir, f), size: statSync(join(dir, f)).size }))
    .sort((a, b) => b.size - a.size);
  return files[0]?.path ?? null;
}
