/**
 * A worker loop over a durable queue in the database (alert deliveries, replication): `tick` every `pollMs`, never
 * two at once (a slow tick delays the next), its failures logged under `name` and retried at the next tick. `tick`
 * is told whether the loop was stopped, to end a long drain early. Answers a stop function that waits for the
 * running tick.
 */
export function startPolling(
  name: string,
  pollMs: number,
  tick: (stopped: () => boolean) => Promise<void>,
): () => Promise<void> {
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  const isStopped = () => stopped;
  const timer = setInterval(() => {
    running = running.then(async () => {
      if (stopped) return;
      try {
        await tick(isStopped);
      } catch (err) {
        console.error(`${name} failed:`, (err as Error).message);
      }
    });
  }, pollMs);
  timer.unref();
  return async () => {
    stopped = true;
    clearInterval(timer);
    await running;
  };
}
