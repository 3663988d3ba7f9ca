import path from 'node:path';
import { formatBytes } from '@/lib/format';
import {
  AGENT_MESSAGES,
  AGENT_PATHS,
  type ItemsRequest,
  type ItemsResponse,
  type PointsResponse,
} from '@/wire/protocol';
import type { AgentContext } from './io';
import { callAsMachine, isObject, registeredState } from './machine';

const STATUS_TEXT = {
  Pending: AGENT_MESSAGES.pendingInitialBackup,
  Protected: 'Protected',
  Stopped: 'Protection Stopped',
} as const;

/** `protect` / `unprotect`: the folders become (or stop being) protected items of this server. */
export async function changeProtection(
  options: { stateDir: string; paths: string[]; action: ItemsRequest['action'] },
  ctx: AgentContext,
): Promise<void> {
  const state = await registeredState(options.stateDir);
  const body: ItemsRequest = { action: options.action, paths: options.paths.map((p) => path.resolve(p)) };
  const { items } = await callAsMachine(state, ctx, {
    path: AGENT_PATHS.items,
    method: 'POST',
    body,
    accept: isObject<ItemsResponse>,
  });
  for (const item of items) ctx.stdout.write(`${item.path}: ${STATUS_TEXT[item.status]}\n`);
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
