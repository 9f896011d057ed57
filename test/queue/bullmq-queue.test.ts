// BullMQ on the real Redis against the JobQueue contract: each handle is its own queue object
// with its own connections (another replica), on a fresh key prefix per test.
import { randomBytes } from 'node:crypto';
import { createBullQueue } from '../../src/queue/bullmq.ts';
import { REDIS_URL } from '../support/build-app.ts';
import { describeJobQueueContract } from './queue-contract.ts';

describeJobQueueContract('bullmq (Redis)', async () => {
  const keyPrefix = `test:queue:${randomBytes(6).toString('hex')}:`;
  return {
    open: () =>
      createBullQueue<{ n: number }, { doubled: number }>('contract', {
        redis: REDIS_URL,
        keyPrefix,
        stalledCheckMs: 1000,
        lockMs: 2000,
      }),
  };
});
