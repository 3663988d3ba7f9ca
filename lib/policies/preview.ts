import 'server-only';
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { messages as accessMessages } from '@/lib/auth/access';
import type { PortalUser } from '@/lib/auth/users';
import { type ActionResult, actionOf } from '@/lib/errors';
import { retentionOutcome } from '@/lib/retention/select';
import type { Services } from '@/lib/services';
import { vaultAccessOrThrow } from '@/lib/vaults/access';
import { findPolicy } from './policies';
import { fieldErrorsOf, policySettingsSchema } from './validation';

export type PreviewRow = {
  itemId: string;
  name: string;
  server: string;
  points: number;
  kept: number;
  deleted: number;
  /** Protection is stopped: retention leaves its points alone. */
  stopped: boolean;
};

const scopeSchema = z.object({
  vaultId: z.uuid(),
  policyId: z.uuid().optional(),
  itemId: z.uuid().optional(),
  /** Preview the policy's saved settings rather than the ones given (PROTECTED ITEMS' policy choice). */
  saved: z.boolean().optional(),
});

/**
 * What a policy's retention would do now, before it is saved: for each item, how many of its recovery points it
 * keeps and how many it deletes (the retention job's own selection). The items are those that follow the policy
 * (EDIT), the one item about to follow it (PROTECTED ITEMS), or every item of the vault (ADD: if they followed it).
 */
export const previewPolicy = actionOf(async function previewPolicy(
  svc: Services,
  user: PortalUser,
  input: unknown,
  now: Date = svc.clock.now(),
): Promise<ActionResult<{ rows: PreviewRow[] }>> {
  const scope = scopeSchema.safeParse(input);
  if (!scope.success) return { ok: false, message: accessMessages.vaultNotFound };
  // Reading what retention would do changes nothing: any member of the vault's subscription may preview.
  const { vault } = await vaultAccessOrThrow(svc.db, user, scope.data.vaultId, 'read');
  const savedPolicy =
    scope.data.saved && scope.data.policyId ? await findPolicy(svc.db, vault.id, { id: scope.data.policyId }) : null;
  const settings = policySettingsSchema.safeParse(
    savedPolicy ? { ...savedPolicy.schedule, ...savedPolicy.retention } : input,
  );
  if (!settings.success) return { ok: false, fieldErrors: fieldErrorsOf(settings.error) };
  const { policyId, itemId } = scope.data;
  const { rows: items } = await svc.db.execute<{ id: string; path: string; server: string; status: string }>(sql`
    select i.id, i.path, s.name as server, i.status from protected_items i
    join registered_servers s on s.id = i.server_id
    where i.vault_id = ${vault.id}
      and (${itemId ?? null}::uuid is null or i.id = ${itemId ?? null}::uuid)
      and (${itemId ?? null}::uuid is not null or ${policyId ?? null}::uuid is null or i.policy_id = ${policyId ?? null}::uuid)
    order by i.path, s.name`);
  const { rows: points } = await svc.pool.query<{ id: string; item_id: string; taken_at: Date }>(
    'select id, item_id, taken_at from recovery_points where item_id = any($1::uuid[])',
    [items.map((i) => i.id)],
  );
  const byItem = new Map<string, { id: string; takenAt: Date }[]>();
  for (const p of points) {
    const list = byItem.get(p.item_id) ?? [];
    list.push({ id: p.id, takenAt: new Date(p.taken_at) });
    byItem.set(p.item_id, list);
  }
  const policy = { frequency: settings.data.schedule.frequency, ...settings.data.retention };
  return {
    ok: true,
    data: {
      rows: items.map((item) => {
        const list = byItem.get(item.id) ?? [];
        const stopped = item.status === 'Stopped';
        const outcome = stopped ? { kept: list.length, deleted: 0 } : retentionOutcome(list, policy, now);
        return { itemId: item.id, name: item.path, server: item.server, points: list.length, stopped, ...outcome };
      }),
    },
  };
});
