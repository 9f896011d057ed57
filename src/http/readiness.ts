// /readyz's check: the session store must answer for a hop to be served; the model and
// the log are reported but do not fail readiness, since hops are still served without them (FAQ
// answers, failure screens, rows queued). Each check bounded by CHECK_TIMEOUT_MS. It must not
// cache: app.ts caches the body for READINESS_CACHE_MS.
import type { Answerer, ModelHealth } from '../inference/types.ts';
import type { InteractionLog } from '../log/types.ts';
import type { SessionStore } from '../session/types.ts';

const CHECK_TIMEOUT_MS = 1000;

export interface ReadinessDeps {
  store: Pick<SessionStore, 'ping'>;
  answerer: Pick<Answerer, 'readiness'>;
  log: Pick<InteractionLog, 'status'>;
  settings: { sessionDriver: 'redis' | 'memory'; databaseDriver?: 'sqlite' | 'postgres' };
}

export function createReadinessCheck({ store, answerer, log, settings }: ReadinessDeps) {
  return checkReadiness;

  async function checkReadiness() {
    const [sessions, ollama] = await Promise.all([
      bounded(store.ping().then(() => ({ ok: true, detail: 'ok' }))),
      bounded(answerer.readiness()),
    ]);
    const logStatus = log.status();
    // Without sessions no hop can be served. Without Ollama or a writable log, hops still are
    // (FAQ answers, failure screens, rows queued), so those are reported but do not fail readiness.
    return {
      ready: sessions.ok,
      sessions: { ...sessions, driver: settings.sessionDriver },
      // Named `sqlite` since issue 5, whatever the database: monitors read this key.
      sqlite: {
        driver: settings.databaseDriver ?? 'sqlite',
        ok: logStatus.ok,
        queued: logStatus.queued,
        queuedBytes: logStatus.queuedBytes ?? 0,
        failures: logStatus.failures,
        written: logStatus.written,
        // Shed past LOG_QUEUE_MAX_MB (or recorded after close).
        dropped: logStatus.dropped ?? 0,
        ...(logStatus.lastError ? { detail: logStatus.lastError } : {}),
      },
      ollama,
    };
  }
}

async function bounded(check: Promise<ModelHealth>): Promise<ModelHealth> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ModelHealth>((resolve) => {
    timer = setTimeout(
      () => resolve({ ok: false, detail: `no answer within ${CHECK_TIMEOUT_MS} ms` }),
      CHECK_TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([
      check.catch((error: unknown) => ({ ok: false, detail: (error as Error).message })),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
