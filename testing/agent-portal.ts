/**
 * The portal's agent API in a process of its own, for tests that kill it (SIGKILL) and start it again on the same
 * database and store (server/faults.test.ts): the fast path for the agent's bulk calls and the route handlers for the
 * rest (testing/faults/agent-api.ts), on services built by buildServices from the portal's settings in the environment
 * (DATABASE_URL, PORTAL_DATA_DIR, VAULT_PROVISIONING_SECONDS, BACKUP_STORE…), listening on loopback at PORT; with
 * TEST_STORE_WRITE_DELAY_MS, on a slower disk.
 *
 * Started like `npm run worker`, with the condition that lets server-only modules load:
 *   node --conditions=react-server --import tsx testing/agent-portal.ts
 * Prints `agent portal listening on <port>` once it answers. It exits when its stdin closes, so it cannot outlive the
 * test that started it.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { NewFile } from '@/lib/direct-io';
import { buildServices } from '@/lib/services';
import { type Env, EnvError, getEnv } from '@/lib/services/settings';
import { agentApi } from './faults/agent-api';

process.stdin.on('end', () => process.exit(0)).resume();

let env: Env;
try {
  env = getEnv();
} catch (err) {
  console.error(err instanceof EnvError ? err.message : err);
  process.exit(1);
}
// A slower disk, for tests that must catch the portal mid-write: with TEST_STORE_WRITE_DELAY_MS, the folder store's
// writer waits that long before each file's bytes (its temporary file already created).
const writeDelayMs = Number(process.env.TEST_STORE_WRITE_DELAY_MS ?? 0);
if (writeDelayMs > 0) {
  const write = NewFile.prototype.write;
  NewFile.prototype.write = async function (this: NewFile, data: Uint8Array, position: number) {
    await sleep(writeDelayMs);
    return write.call(this, data, position);
  };
}
const services = await buildServices(env);
const server = createServer(agentApi(services));
server.keepAliveTimeout = 30_000;
server.listen(env.PORT, '127.0.0.1');
await once(server, 'listening');
console.log(`agent portal listening on ${env.PORT}`);
