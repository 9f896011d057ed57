// The SMS driver without credentials: SMS is off (said once at start-up by main.ts). Nothing is
// sent; answers that miss their session wait for the next dial instead.
import type { SmsSender } from './types.ts';

export function createSmsOff(): SmsSender {
  return {
    enabled: false,
    send: async () => ({ outcome: 'failed', error: 'SMS is off (AT_USERNAME and AT_API_KEY unset)' }),
  };
}
