import path from 'node:path';
import { formatBytes } from '@/lib/format';
import {
  AGENT_MESSAGES,
  AGENT_PATHS,
  type ItemsRequest,
  type ItemsResponse,
  type PointsResponse,
} from '@/wire/protocol';
import { excludingLine, setExclusions, validatePatterns } from './exclusions';
import type { AgentContext } from './io';
import { callAsMachine, isObject, registeredState } from './machine';

const STATUS_TEXT = {
  Pending: AGENT_MESSAGES.pendingInitialBackup,
  Protected: 'Protected',
  Stopped: 'Protection Stopped',
} as const;

/**
 * `protect` / `unprotect`: the folders become (or stop being) protected items of this server. `protect` sets each
 * folder's exclusions to `exclude` (none when empty), replacing what it had; `unprotect` drops them, so a folder
 * protected again starts from what that `protect` gives. They are kept on this machine only (agent/exclusions.ts), once
 * the portal has answered, and checked before it is called: a bad pattern changes nothing.
 */
export async function changeProtection(
  options: { stateDir: string; paths: string[]; action: ItemsRequest['action']; exclude?: string[] },
  ctx: AgentContext,
): Promise<void> {
  const exclude = options.action === 'protect' ? (options.exclude ?? []) : [];
  validatePatterns(exclude);
  const state = await registeredState(options.stateDir);
  const body: ItemsRequest = { action: options.action, paths: options.paths.map((p) => path.resolve(p)) };
  const { items } = await callAsMachine(state, ctx, {
    path: AGENT_PATHS.items,
    method: 'POST',
    body,
    accept: isObject<ItemsResponse>,
  });
  await setExclusions(options.stateDir, body.paths, exclude);
  for (const item of items) {
    ctx.stdout.write(`${item.path}: ${STATUS_TEXT[item.status]}\n`);
    if (exclude.length > 0 && body.paths.includes(item.path)) ctx.stdout.write(`  ${excludingLine(exclude)}\n`);
  }
}

/** `points`: the recovery points of the protected folders (or one), newest first. */
export async function listPoints(options: { stateDir: string; path?: string }, ctx: AgentContext): Promise<void> {
  const state = await registeredState(options.stateDir);
  const paths = options.path
    ? [path.resolve(options.path)]
    : (
        await callAsMachine(state, ctx, { path: AGENT_PATHS.items, method: 'GET', accept: isObject<ItemsResponse> })
      ).items.map((item) => item.path);
  for (const itemPath of paths) {
    const { points } = await callAsMachine(state, ctx, {
      path: `${AGENT_PATHS.points}?path=${encodeURIComponent(itemPath)}`,
      method: 'GET',
      accept: isObject<PointsResponse>,
    });
    ctx.stdout.write(`${itemPath}: ${points.length} recovery point${points.length === 1 ? '' : 's'}\n`);
    for (const point of points) {
      ctx.stdout.write(
        `  ${point.takenAt}  ${point.files.toLocaleString('en-US')} files  ${formatBytes(point.bytes)}\n`,
      );
    }
  }
}
