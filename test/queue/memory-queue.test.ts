// The in-process queue against the JobQueue contract. One process holds the jobs, so every
// "handle" of the contract is the same queue.
import { createMemoryQueue } from '../../src/queue/memory.ts';
import { describeJobQueueContract } from './queue-contract.ts';

describeJobQueueContract('memory', async () => {
  const queue = createMemoryQueue<{ n: number }, { doubled: number }>('contract');
  return { open: () => queue };
});
