// The config's inference and queue section: the model hosts (OLLAMA_HOST, several with commas),
// the generation limits, the question queue's backlog limit, the answer cache and the JSON API.
// It must not read process.env: config.ts hands it the values.
import { z } from 'zod';
import { bool, int, optionalSecret, url } from './fields.ts';

/** The model, its slots and the answers it gives. */
export const INFERENCE_FIELDS = {
  // One host, or several separated by commas, each with its own OLLAMA_MAX_CONCURRENT slots.
  OLLAMA_HOST: z
    .string()
    .default('http://127.0.0.1:11434')
    .transform((v) =>
      v
        .split(',')
        .map((h) => h.trim())
        .filter(Boolean),
    )
    .pipe(z.array(url(['http:', 'https:'])).min(1, 'needs at least one http:// or https:// URL')),
  OLLAMA_MODEL: z.string().min(1).default('llama3.2:3b'),
  OLLAMA_NUM_CTX: int(256, 131_072).default(2048),
  OLLAMA_NUM_PREDICT: int(16, 4096).default(150),
  OLLAMA_MAX_CONCURRENT: int(1, 64).default(2),
  ANSWER_MAX_WAIT_MINUTES: int(1, 1440).default(30),
  OLLAMA_WARMUP: bool.default(true),
  ANSWER_TIMEOUT_MS: int(1000, 600_000).default(30_000),
  ANSWER_CACHE_TTL_SECONDS: int(0, 31_536_000).default(86_400),
  API_TOKEN: optionalSecret(16),
  API_ENABLED: bool.default(true),
  API_CACHE_ANSWERS: bool.default(false),
};
