'use client';

import { useQueryClient } from '@tanstack/react-query';
import { type Ref, useEffect, useState, useTransition } from 'react';
import { OPERATIONS_KEY } from '@/components/shell/notifications';
import type { ActionResult } from '@/lib/errors';
import { assignPolicyAction, previewPolicyAction } from '@/lib/policies/actions';

type Item = { id: string; name: string; server: string; policyId: string };
type Policy = { id: string; name: string };

/**
 * PROTECTED ITEMS' CHANGE POLICY: the item follows the chosen policy from now on. Before saving, the dialog shows how
 * many of the item's recovery points the chosen policy keeps and how many it deletes.
 */
export function ChangePolicyDialog({
  ref,
  vaultId,
  item,
  policies,
  onDone,
}: {
  ref: Ref<HTMLDialogElement>;
  vaultId: string;
  item: Item | undefined;
  policies: Policy[];
  onDone: (result: ActionResult) => void;
}) {
  const queryClient = useQueryClient();
  const [policyId, setPolicyId] = useState(item?.policyId ?? '');
  const [outcome, setOutcome] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();

  useEffect(() => setPolicyId(item?.policyId ?? ''), [item?.policyId]);

  useEffect(() => {
    if (!item || !policyId) return;
    let current = true;
    setOutcome(null);
    void (async () => {
      const result = await previewPolicyAction({ vaultId, itemId: item.id, policyId, saved: true });
      if (current) setOutcome(result.ok ? outcomeText(result.data.rows[0]) : (result.message ?? null));
    })();
    return () => {
      current = false;
    };
  }, [vaultId, item, policyId]);

  function save(dialog: HTMLDialogElement | null) {
    if (!item) return;
    startTransition(async () => {
      const result = await assignPolicyAction(item.id, policyId);
      dialog?.close();
      await queryClient.invalidateQueries({ queryKey: OPERATIONS_KEY });
      onDone(result);
    });
  }

  return (
    <dialog
      ref={ref}
      aria-labelledby="change-policy-title"
      className="m-auto w-[32rem] bg-white p-6 shadow-2xl backdrop:bg-black/50"
    >
      <h2 id="change-policy-title" className="mb-3 text-2xl font-light">
        Change policy
      </h2>
      <p className="mb-4 text-sm">
        {item ? `'${item.name}' on '${item.server}' follows from now on:` : 'Select an item first.'}
      </p>
      <label className="mb-4 flex items-center gap-3 text-sm">
        Policy
        <select
          value={policyId}
          onChange={(e) => setPolicyId(e.target.value)}
          className="border border-[#8a8a8a] bg-white px-2 py-1 text-sm"
        >
          {policies.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </select>
      </label>
      <p role="status" className="mb-6 min-h-5 text-sm">
        {outcome}
      </p>
      <div className="flex justify-end gap-2">
        <button
          type="button"
          onClick={(e) => e.currentTarget.closest('dialog')?.close()}
          className="border border-[#8a8a8a] px-4 py-1.5 text-sm hover:bg-[#f3f3f3]"
        >
          Cancel
        </button>
        <button
          type="button"
          disabled={pending || !item || !policyId}
          onClick={(e) => save(e.currentTarget.closest('dialog'))}
          className="bg-portal-blue px-4 py-1.5 text-sm text-white hover:brightness-110 disabled:opacity-50"
        >
          Save
        </button>
      </div>
    </dialog>
  );
}

function outcomeText(row: { points: number; kept: number; deleted: number; stopped: boolean } | undefined): string {
  if (!row) return '';
  if (row.stopped) return `Protection is stopped: its ${row.points} recovery points are kept.`;
  return `With this policy the item keeps ${row.kept} of its ${row.points} recovery points and ${row.deleted} ${row.deleted === 1 ? 'is' : 'are'} deleted.`;
}
