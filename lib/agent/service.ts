import { backup } from './backup/command';
import type { AgentContext } from './io';
import { callAsMachine, isObject, registeredState } from './machine';
import { AGENT_PATHS, type ItemsResponse } from './protocol';

/** How often the service asks the portal for BACKUP NOW requests: the contract promises a start within 10 s. */
export const POLL_SECONDS = 5;

/**
 * `run`: the machine's backup service. It asks the portal every few seconds what to do and runs the backups it is
 * asked for, one at a time (each item also holds its own lock, so a `backup` typed meanwhile is refused for that
 * item). A failed poll or backup is reported and the service goes on; SIGINT/SIGTERM stop it between steps.
 */
export async function runService(
  options: { stateDir: string; json: boolean; signal: AbortSignal; pollSeconds?: number },
  ctx: AgentContext,
): Promise<void> {
  const state = await registeredState(options.stateDir);
  const log = (line: string) => ctx.stdout.write(`${ctx.now().toISOString()} ${line}\n`);
  log(`Backup service started for '${state.machineName}' (vault '${state.vaultName}').`);
  while (!options.signal.aborted) {
    try {
      const { items } = await callAsMachine(state, ctx, {
        path: AGENT_PATHS.items,
        method: 'GET',
        accept: isObject<ItemsResponse>,
      });
      for (const item of items.filter((i) => i.backupRequested && i.status !== 'Stopped')) {
        if (options.signal.aborted) break;
        log(`Backing up '${item.path}' (BACKUP NOW).`);
        try {
          await backup(
            { stateDir: options.stateDir, path: item.path, json: options.json, signal: options.signal },
            ctx,
          );
        } catch (error) {
          log(`The backup of '${item.path}' failed: ${(error as Error).message}`);
        }
      }
    } catch (error) {
      log(`Could not ask the portal for work: ${(error as Error).message}`);
    }
    await sleep((options.pollSeconds ?? POLL_SECONDS) * 1000, options.signal);
  }
  log('Backup service stopped.');
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
