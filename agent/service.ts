import { describeSchedule } from '@/lib/schedule';
import { AGENT_PATHS, type ItemsResponse, type ItemView } from '@/wire/protocol';
import { backup } from './backup/command';
import { CLOCK_REFRESH_MS, followPortalClock } from './clock';
import type { AgentContext } from './io';
import { callAsMachine, isObject, registeredState } from './machine';
import { recoverRequested } from './restore/command';

/** How often the service asks the portal for BACKUP NOW (and RECOVER TO SERVER) requests: the contract promises a start within 10 s. */
export const POLL_SECONDS = 5;

/**
 * For tests only: moves the clock the service's schedule is read with (never the clock of its signed calls) by this
 * many seconds, so a test can bring a scheduled run a minute near instead of waiting for it.
 */
export const SCHEDULE_OFFSET_VARIABLE = 'AGENT_TEST_SCHEDULE_OFFSET_SECONDS';

/**
 * `run`: the machine's backup service. Every few seconds it asks the portal for its items, each with its policy's
 * schedule and when its next backup is due, so a changed policy takes effect at the next poll. It runs the backups
 * that are due (a run missed while the service was stopped is due, once) and those asked for with BACKUP NOW, one
 * at a time; each item also holds its own lock, so a `backup` typed meanwhile never runs beside it. A failed poll or
 * backup is reported and the service goes on; SIGINT/SIGTERM stop it between steps. An agent that follows the portal's
 * clock reads it before its first line and again every minute (agent/clock.ts), so its schedules, signed calls and log
 * lines keep the portal's time even when the portal's clock is moved while the service runs.
 */
export async function runService(
  options: { stateDir: string; json: boolean; signal: AbortSignal; pollSeconds?: number; clock?: () => Date },
  ctx: AgentContext,
): Promise<void> {
  const state = await registeredState(options.stateDir);
  const log = (line: string) => ctx.stdout.write(`${ctx.now().toISOString()} ${line}\n`);
  const followClock = () =>
    followPortalClock(ctx, state.portalUrl, { maxAgeMs: CLOCK_REFRESH_MS, signal: options.signal });
  await followClock().catch((error: Error) => log(`Could not read the portal's clock: ${error.message}`));
  const offsetMs = Number(ctx.env[SCHEDULE_OFFSET_VARIABLE] ?? 0) * 1000 || 0;
  const clock = options.clock ?? (() => new Date(ctx.now().getTime() + offsetMs));
  // The scheduled run each item last started: a run whose backup failed is not retried until the next one.
  const started = new Map<string, string>();
  const announced = new Map<string, string>();
  log(`Backup service started for '${state.machineName}' (vault '${state.vaultName}').`);
  while (!options.signal.aborted) {
    try {
      await followClock();
      // Not repeated: the next poll, a few seconds later, is the repeat. Ended at once when the service stops.
      const { items, restoreRequests = [] } = await callAsMachine(state, ctx, {
        path: AGENT_PATHS.items,
        method: 'GET',
        accept: isObject<ItemsResponse>,
        signal: options.signal,
      });
      for (const item of items.filter((i) => i.status !== 'Stopped')) {
        if (options.signal.aborted) break;
        announce(item, announced, log);
        const scheduled = dueRun(item, clock(), started);
        if (!item.backupRequested && !scheduled) continue;
        if (scheduled) started.set(item.id, scheduled);
        log(
          `Backing up '${item.path}' (${item.backupRequested ? 'BACKUP NOW' : `scheduled for ${scheduled} by policy '${item.policyName}'`}).`,
        );
        try {
          await backup(
            { stateDir: options.stateDir, path: item.path, json: options.json, signal: options.signal },
            ctx,
          );
        } catch (error) {
          log(`The backup of '${item.path}' failed: ${(error as Error).message}`);
        }
      }
      for (const request of restoreRequests) {
        if (options.signal.aborted) break;
        log(`Recovering '${request.itemPath}' (RECOVER TO SERVER).`);
        try {
          await recoverRequested(
            { stateDir: options.stateDir, requestId: request.id, json: options.json, signal: options.signal },
            ctx,
          );
        } catch (error) {
          log(`The restore of '${request.itemPath}' failed: ${(error as Error).message}`);
        }
      }
    } catch (error) {
      if (!options.signal.aborted) log(`Could not ask the portal for work: ${(error as Error).message}`);
    }
    await sleep((options.pollSeconds ?? POLL_SECONDS) * 1000, options.signal);
  }
  log('Backup service stopped.');
}

/** The scheduled run of the item that is due now and was not started yet, if any. */
function dueRun(item: ItemView, now: Date, started: Map<string, string>): string | undefined {
  if (!item.nextBackupAt) return undefined;
  if (new Date(item.nextBackupAt).getTime() > now.getTime()) return undefined;
  return started.get(item.id) === item.nextBackupAt ? undefined : item.nextBackupAt;
}

/** Says when an item's next scheduled backup is, each time that changes (a new policy, a backup done). */
function announce(item: ItemView, announced: Map<string, string>, log: (line: string) => void) {
  if (!item.nextBackupAt || !item.schedule) return;
  const line = `Next scheduled backup of '${item.path}': ${item.nextBackupAt} (policy '${item.policyName}', ${describeSchedule(item.schedule)}).`;
  if (announced.get(item.id) === line) return;
  announced.set(item.id, line);
  log(line);
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
