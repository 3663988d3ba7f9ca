// Every server process works the operation queues (vault provisioning and deletion), so jobs survive a restart of
// any one of them and several servers share the work.
export async function register() {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  const { getServices } = await import('@/lib/services');
  const { startOperationWorkers } = await import('@/server/worker');
  await startOperationWorkers(await getServices());
}
