/**
 * A standalone operations worker: the same queue subscriptions every server process runs (instrumentation.ts), without
 * the web server. Useful to add capacity, and used by the tests that kill and restart "servers".
 */

import { buildServices } from '@/lib/services';
import { type Env, EnvError, getEnv } from '@/lib/services/settings';
import { startOperationWorkers } from '@/server/worker';

let env: Env;
try {
  env = getEnv();
} catch (err) {
  console.error(err instanceof EnvError ? err.message : err);
  process.exit(1);
}
if (!env.DATABASE_URL) {
  console.error('Invalid setting DATABASE_URL: a worker needs the portal database.');
  process.exit(1);
}
const services = await buildServices(env);
const { boss, pool } = services;
await startOperationWorkers(services, {
  onDone: (queue, operationId, changed) =>
    console.log(`done ${queue} ${operationId} ${changed ? 'changed' : 'unchanged'}`),
});
console.log('worker ready');
const stop = async () => {
  await boss.stop({ graceful: true, timeout: 5000 });
  await pool.end();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
