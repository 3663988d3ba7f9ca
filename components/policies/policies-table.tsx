'use client';

import { useQueryClient } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useRef, useState, useTransition } from 'react';
import { EditIcon, PlusIcon, TrashIcon } from '@/components/icons';
import { ActionFeedback, SelectableRow } from '@/components/selectable-row';
import { CommandBarActions, CommandButton } from '@/components/shell/command-bar';
import { OPERATIONS_KEY } from '@/components/shell/notifications';
import { TableHead } from '@/components/table-head';
import { deletePolicyAction } from '@/lib/policies/actions';

export type PolicyRowView = { id: string; name: string; schedule: string; retention: string; items: number };

/** POLICIES: the vault's policies; ADD, EDIT and DELETE in the command bar (the server refuses a policy in use). */
export function PoliciesTable({
  vaultId,
  policies,
  canChange,
}: {
  vaultId: string;
  policies: PolicyRowView[];
  canChange: boolean;
}) {
  const router = useRouter();
  const queryClient = useQueryClient();
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [feedback, setFeedback] = useState<{ ok: boolean; text: string } | null>(null);
  const [pending, startTransition] = useTransition();
  const dialog = useRef<HTMLDialogElement>(null);
  const selected = policies.find((p) => p.id === selectedId);
  const base = `/recovery-services/vaults/${vaultId}/policies`;

  function remove(policy: PolicyRowView) {
    startTransition(async () => {
      const result = await deletePolicyAction(vaultId, policy.id);
      setFeedback({ ok: result.ok, text: result.message ?? '' });
      dialog.current?.close();
      if (result.ok) setSelectedId(null);
      await queryClient.invalidateQueries({ queryKey: OPERATIONS_KEY });
      router.refresh();
    });
  }

  return (
    <>
      <table className="w-full border-collapse text-sm">
        <TableHead columns={[null, 'NAME', 'SCHEDULE', 'RETENTION', 'ITEMS']} />
        <tbody>
          {policies.map((policy) => (
            <SelectableRow
              key={policy.id}
              group="policy"
              label={`Select ${policy.name}`}
              selected={policy.id === selectedId}
              onSelect={() => setSelectedId(policy.id)}
            >
              <td className="py-2.5 pr-4">{policy.name}</td>
              <td className="py-2.5 pr-4">{policy.schedule}</td>
              <td className="py-2.5 pr-4">{policy.retention}</td>
              <td className="py-2.5 pr-4">{policy.items}</td>
            </SelectableRow>
          ))}
        </tbody>
      </table>
      <ActionFeedback feedback={feedback} />
      <CommandBarActions>
        <CommandButton label="ADD" icon={PlusIcon} disabled={!canChange} onClick={() => router.push(`${base}/new`)} />
        <CommandButton
          label="EDIT"
          icon={EditIcon}
          disabled={!selected}
          onClick={() => selected && router.push(`${base}/${selected.id}`)}
        />
        <CommandButton
          label="DELETE"
          icon={TrashIcon}
          disabled={!canChange || !selected || pending}
          onClick={() => dialog.current?.showModal()}
        />
      </CommandBarActions>
      <dialog
        ref={dialog}
        aria-labelledby="delete-policy-title"
        className="m-auto w-[32rem] bg-white p-6 shadow-2xl backdrop:bg-black/50"
      >
        <h2 id="delete-policy-title" className="mb-3 text-2xl font-light">
          Delete policy
        </h2>
        <p className="mb-6 text-sm">
          {selected ? `The policy '${selected.name}' will be deleted.` : 'Select a policy first.'} Recovery points are
          not affected.
        </p>
        <div className="flex justify-end gap-2">
          <button
            type="button"
            onClick={() => dialog.current?.close()}
            className="border border-[#8a8a8a] px-4 py-1.5 text-sm hover:bg-[#f3f3f3]"
          >
            Cancel
          </button>
          <button
            type="button"
            disabled={pending || !selected}
            onClick={() => selected && remove(selected)}
            className="bg-portal-red px-4 py-1.5 text-sm text-white hover:bg-[#a50e1a] disabled:opacity-50"
          >
            Delete
          </button>
        </div>
      </dialog>
    </>
  );
}
