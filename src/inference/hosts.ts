// The model hosts (issue 13 §2): every OLLAMA_HOST entry, its health, and a slot on one of them.
// A host that is down or lacks the model is skipped until a check finds it healthy again; among
// the healthy ones a question goes to the first with a free slot, the fastest measured first, so a
// slow host gets what the others cannot take. Slots are counted by the SlotPool, across replicas.
// It must not generate: it only says where a generation may run.
import type { Logger } from '../logger.ts';
import type { SlotKind, SlotPool } from '../queue/types.ts';
import type { AnswerModel, ModelHealth } from './types.ts';

/** A checked-healthy host is checked again this often; an unhealthy one more often. */
const CHECK_HEALTHY_MS = 30_000;
const CHECK_UNHEALTHY_MS = 3_000;
/** Slot polls back off from this to this while every slot is taken. */
const POLL_MIN_MS = 25;
const POLL_MAX_MS = 250;

type HostState = 'unknown' | 'ok' | 'down' | 'model-missing';

export interface HeldModel {
  model: AnswerModel;
  host: number;
  release(): Promise<void>;
}

export interface ModelHosts {
  readonly model: string;
  /**
   * Slots on hosts not known to be unhealthy: what the queue may run at once. With every host
   * unhealthy, all of them count: a question then tries them (one that came back is found at
   * once; one still down fails fast) rather than being refused unasked.
   */
  usableSlots(): number;
  /** Whether any host other than `host` is not known to be unhealthy (worth a retry there). */
  otherUsable(host: number): boolean;
  /** With no usable host: what the phone is told (every host lacks the model, or one is down). */
  unusable(): 'down' | 'model-missing';
  /** Waits for a slot on a usable host; null when `signal` aborts first. */
  acquire(kind: SlotKind, signal: AbortSignal): Promise<HeldModel | null>;
  /** A generation on `host` found it down or without the model: skip it until a check says ok. */
  failed(host: number, failure: 'down' | 'model-missing'): void;
  /** How long a generation took on `host`, to prefer the faster hosts. */
  measured(host: number, ms: number): void;
  /** Ok when any host is; the detail names each one's state. */
  readiness(): Promise<ModelHealth>;
  /** Loads the model on every reachable host. */
  warm(): Promise<void>;
  /** Starts the periodic health checks. */
  start(): void;
  close(): void;
}

export function createModelHosts(deps: {
  models: readonly AnswerModel[];
  slots: SlotPool;
  logger: Logger;
  onChange?: (usableSlots: number) => void;
  /** Slots per host (OLLAMA_MAX_CONCURRENT). */
  slotsPerHost: number;
}): ModelHosts {
  const { models, slots, logger, slotsPerHost } = deps;
  const state: HostState[] = models.map(() => 'unknown');
  const speed: number[] = models.map(() => 0);
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;

  const usable = (i: number) => state[i] === 'ok' || state[i] === 'unknown';
  const healthy = () => models.map((_, i) => i).filter(usable);
  const usableSlots = () => (healthy().length || models.length) * slotsPerHost;
  const order = () => {
    const hosts = healthy();
    return (hosts.length > 0 ? hosts : models.map((_, i) => i)).sort(
      (a, b) => (speed[a] ?? 0) - (speed[b] ?? 0),
    );
  };

  function set(i: number, next: HostState, detail: string): void {
    const before = state[i];
    if (before === next) return;
    const wasUsable = usable(i);
    state[i] = next;
    const host = models[i]?.host ?? String(i);
    if (next === 'ok') logger.info({ ollama: host }, '[inference] model host healthy');
    else if (next !== 'unknown') logger.warn({ ollama: host, detail }, '[inference] model host skipped');
    if (wasUsable !== usable(i)) deps.onChange?.(usableSlots());
  }

  async function check(i: number): Promise<void> {
    const model = models[i];
    if (!model || closed) return;
    const health = await model.check().catch((e: Error) => ({ ok: false, detail: e.message }));
    if (health.ok) set(i, 'ok', health.detail);
    else set(i, /not pulled/.test(health.detail) ? 'model-missing' : 'down', health.detail);
    schedule(i);
  }

  function schedule(i: number): void {
    if (closed) return;
    const timer = setTimeout(
      () => {
        timers.delete(timer);
        void check(i);
      },
      state[i] === 'ok' ? CHECK_HEALTHY_MS : CHECK_UNHEALTHY_MS,
    );
    timer.unref();
    timers.add(timer);
  }

  return {
    model: models[0]?.model ?? '',
    usableSlots,
    otherUsable: (host) => healthy().some((i) => i !== host),
    unusable: () =>
      state.length > 0 && state.every((s) => s === 'model-missing') ? 'model-missing' : 'down',

    async acquire(kind, signal) {
      let wait = POLL_MIN_MS;
      while (!signal.aborted) {
        const hosts = order();
        const lease = hosts.length > 0 ? await slots.tryAcquire(hosts, kind).catch(() => null) : null;
        if (lease) {
          const model = models[lease.host] as AnswerModel;
          return { model, host: lease.host, release: () => lease.release() };
        }
        await sleep(wait, signal);
        wait = Math.min(POLL_MAX_MS, wait * 2);
      }
      return null;
    },

    failed(host, failure) {
      set(host, failure, `a generation found it ${failure}`);
      // The periodic check (every few seconds while unhealthy) brings it back.
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (let i = 0; i < models.length; i++) schedule(i);
    },

    measured(host, ms) {
      speed[host] = speed[host] ? 0.8 * (speed[host] ?? 0) + 0.2 * ms : ms;
    },

    async readiness() {
      const checks = await Promise.all(models.map((m) => m.check().catch(() => null)));
      const ok = checks.some((c) => c?.ok);
      if (models.length === 1) return checks[0] ?? { ok: false, detail: 'no answer' };
      const detail = checks
        .map((c, i) => `${models[i]?.host ?? i}: ${c ? c.detail : 'no answer'}`)
        .join('; ');
      return { ok, detail };
    },

    async warm() {
      await Promise.all(
        models.map(async (m, i) => {
          const health = await m.check();
          if (!health.ok) {
            // Say what to do, whatever is missing: Ollama, or the model (README "Quickstart").
            const todo = health.detail.includes('ollama pull')
              ? health.detail
              : `${health.detail}; start Ollama there and run \`ollama pull ${m.model}\``;
            logger.warn(
              { ollama: m.host, model: m.model, detail: health.detail },
              `Ollama is not ready at ${m.host} (${todo}): questions get a friendly screen until it is`,
            );
            return;
          }
          const started = Date.now();
          await m.warm();
          set(i, 'ok', health.detail);
          logger.info({ ollama: m.host, model: m.model, ms: Date.now() - started }, 'model loaded');
        }),
      );
    },

    start() {
      for (let i = 0; i < models.length; i++) void check(i);
    },

    close() {
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    timer.unref();
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
