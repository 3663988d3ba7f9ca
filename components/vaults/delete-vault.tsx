'use client';

import { useQueryClient } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useActionState, useEffect, useId, useState } from 'react';
import { TrashIcon } from '@/components/icons';
import { ModalDialog } from '@/components/modal-dialog';
import { CommandBarActions, CommandButton } from '@/components/shell/command-bar';
import { OPERATIONS_KEY } from '@/components/shell/notifications';
import type { ActionResult } from '@/lib/errors';
import { deleteVaultAction } from '@/lib/vaults/actions';
import { DELETE_REASONS } from '@/lib/vaults/rules';

export function DeleteVault({
  vaultId,
  vaultName,
  disabled,
}: {
  vaultId: string;
  vaultName: string;
  disabled: boolean;
}) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <CommandBarActions>
        <CommandButton label="DELETE" icon={TrashIcon} disabled={disabled} onClick={() => setOpen(true)} />
      </CommandBarActions>
      {open && <DeleteDialog vaultId={vaultId} vaultName={vaultName} onClose={() => setOpen(false)} />}
    </>
  );
}

function DeleteDialog({ vaultId, vaultName, onClose }: { vaultId: string; vaultName: string; onClose: () => void }) {
  const router = useRouter();
  const queryClient = useQueryClient();
  const reasonId = useId();
  const [state, formAction, pending] = useActionState<ActionResult<{ operationId: string }> | null, FormData>(
    deleteVaultAction,
    null,
  );

  useEffect(() => {
    if (!state?.ok) return;
    void queryClient.invalidateQueries({ queryKey: OPERATIONS_KEY });
    router.push('/recovery-services');
  }, [state, queryClient, router]);

  return (
    <ModalDialog
      label="Delete backup vault"
      onClose={onClose}
      className="m-auto w-[28rem] bg-white p-6 shadow-2xl backdrop:bg-black/50"
    >
      <h2 className="mb-3 text-2xl font-light">Delete backup vault</h2>
      <p className="mb-4 text-sm">
        The backup vault <strong>{vaultName}</strong> and everything in it will be deleted. This cannot be undone.
      </p>
      <form action={formAction}>
        <input type="hidden" name="vaultId" value={vaultId} />
        <label htmlFor={reasonId} className="mb-1 block text-sm text-portal-muted">
          Reason
        </label>
        <select
          id={reasonId}
          name="reason"
          required
          defaultValue=""
          className="mb-3 w-full border border-[#8a8a8a] px-2 py-1.5"
        >
          <option value="" disabled>
            Choose a reason
          </option>
          {DELETE_REASONS.map((reason) => (
            <option key={reason} value={reason}>
              {reason}
            </option>
          ))}
        </select>
        <p role="alert" className="mb-3 min-h-5 text-sm text-portal-red">
          {state && !state.ok ? state.message : null}
        </p>
        <div className="flex justify-end gap-2">
          <button
            type="button"
            onClick={onClose}
            className="border border-[#8a8a8a] px-4 py-1.5 text-sm hover:bg-[#f3f3f3]"
          >
            Cancel
          </button>
          <button
            type="submit"
            disabled={pending}
            className="bg-portal-red px-4 py-1.5 text-sm text-white hover:bg-[#a50e1a] disabled:opacity-50"
          >
            Delete
          </button>
        </div>
      </form>
    </ModalDialog>
  );
}
