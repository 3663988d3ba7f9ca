import type { Services } from '@/lib/services';
import { provisionVault, removeVault } from '@/lib/vaults/provisioning';
import { type OperationJob, QUEUES } from './boss';

export type WorkerEvents = { onDone?: (queue: string, operationId: string, changed: boolean) => void };

/** Subscribes this process to the operation queues; any number of servers may do so on one database. */
export async function startOperationWorkers(svc: Services, events: WorkerEvents = {}): Promise<void> {
  const handlers = { [QUEUES.provisionVault]: provisionVault, [QUEUES.deleteVault]: removeVault };
  for (const [queue, handle] of Object.entries(handlers)) {
    await svc.boss.work<OperationJob>(queue, { batchSize: 1, pollingIntervalSeconds: 0.5 }, async ([job]) => {
      if (!job) return;
      const changed = await handle(svc, job.data.operationId);
      events.onDone?.(queue, job.data.operationId, changed);
    });
  }
}
