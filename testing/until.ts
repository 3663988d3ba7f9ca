/**
 * Polls `probe` until it returns something other than undefined, for tests that wait on background work (a worker's
 * job, an agent's service); `detail` adds what the failure message should show, such as a service's log.
 */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  options: { timeoutMs?: number; intervalMs?: number; detail?: () => string } = {},
): Promise<T> {
  const { timeoutMs = 30_000, intervalMs = 200, detail } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${detail ? `; ${detail()}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
