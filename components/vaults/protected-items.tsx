'use client';

import { useQueryClient } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useRef, useState, useTransition } from 'react';
import { BackupIcon, CheckIcon, EditIcon, RestoreIcon, StopIcon } from '@/components/icons';
import { ChangePolicyDialog } from '@/components/policies/change-policy';
import { ActionFeedback, SelectableRow } from '@/components/selectable-row';
import { CommandBarActions, CommandButton } from '@/components/shell/command-bar';
import { OPERATIONS_KEY } from '@/components/shell/notifications';
import { TableHead } from '@/components/table-head';
import { backupNowAction, stopProtectionAction } from '@/lib/backups/actions';
import type { ActionResult } from '@/lib/errors';
import { verifyStorageAction } from '@/lib/replication/actions';

export type ProtectedItemView = {
  id: string;
  name: string;
  server: string;
  status: string;
  stopped: boolean;
  recoveryPoints: number;
  newestPoint: string;
  lastBackupStatus: string;
  policyId: string;
  policy: string;
};

export function ProtectedItems({
  vaultId,
  items,
  policies,
  canChange,
}: {
  vaultId: string;
  items: ProtectedItemView[];
  policies: { id: string; name: string }[];
  canChange: boolean;
}) {
  const router = useRouter();
  const queryClient = useQueryClient();
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [feedback, setFeedback] = useState<{ ok: boolean; text: string } | null>(null);
  const [deleteData, setDeleteData] = useState(false);
  const [pending, startTransition] = useTransition();
  const dialog = useRef<HTMLDialogElement>(null);
  const policyDialog = useRef<HTMLDialogElement>(null);
  const selected = items.find((i) => i.id === selectedId);

  function run(action: () => Promise<ActionResult>) {
    startTransition(async () => {
      const result = await action();
      setFeedback(
        result.ok
          ? result.message
            ? { ok: true, text: result.message }
            : null
          : { ok: false, text: result.message ?? '' },
      );
      dialog.current?.close();
      await queryClient.invalidateQueries({ queryKey: OPERATIONS_KEY });
      router.refresh();
    });
  }

  return (
    <>
      <table className="w-full border-collapse text-sm">
        <TableHead
          columns={[
            null,
            'NAME',
            'SERVER',
            'STATUS',
            'RECOVERY POINTS',
            'NEWEST RECOVERY POINT',
            'LAST BACKUP STATUS',
            'POLICY',
          ]}
        />
        <tbody>
          {items.map((item) => (
            <SelectableRow
              key={item.id}
              group="item"
              label={`Select ${item.name} on ${item.server}`}
              selected={item.id === selectedId}
              onSelect={() => setSelectedId(item.id)}
            >
              <td className="py-2.5 pr-4 font-mono text-[13px]">{item.name}</td>
              <td className="py-2.5 pr-4">{item.server}</td>
              <td className="py-2.5 pr-4">{item.status}</td>
              <td className="py-2.5 pr-4">{item.recoveryPoints}</td>
              <td className="py-2.5 pr-4">{item.newestPoint}</td>
              <td className="py-2.5 pr-4">{item.lastBackupStatus}</td>
              <td className="py-2.5 pr-4">{item.policy}</td>
            </SelectableRow>
          ))}
        </tbody>
      </table>
      <ActionFeedback feedback={feedback} />
      <CommandBarActions>
        <CommandButton
          label="BACKUP NOW"
          icon={BackupIcon}
          disabled={!canChange || !selected || selected.stopped || pending}
          onClick={() => selected && run(() => backupNowAction(selected.id))}
        />
        <CommandButton
          label="RESTORE"
          icon={RestoreIcon}
          disabled={!selected || selected.recoveryPoints === 0}
          onClick={() =>
            selected && router.push(`/recovery-services/vaults/${vaultId}/protected-items/${selected.id}/recover`)
          }
        />
        <CommandButton
          label="VERIFY"
          icon={CheckIcon}
          disabled={!canChange || !selected || selected.recoveryPoints === 0 || pending}
          onClick={() => selected && run(() => verifyStorageAction(selected.id))}
        />
        <CommandButton
          label="CHANGE POLICY"
          icon={EditIcon}
          disabled={!canChange || !selected || pending}
          onClick={() => policyDialog.current?.showModal()}
        />
        <CommandButton
          label="STOP PROTECTION"
          icon={StopIcon}
          disabled={!canChange || !selected || pending}
          onClick={() => {
            setDeleteData(false);
            dialog.current?.showModal();
          }}
        />
      </CommandBarActions>
      <ChangePolicyDialog
        ref={policyDialog}
        vaultId={vaultId}
        item={selected}
        policies={policies}
        onDone={(result) => {
          setFeedback({ ok: result.ok, text: result.message ?? '' });
          router.refresh();
        }}
      />
      <dialog
        ref={dialog}
        aria-labelledby="stop-protection-title"
        className="m-auto w-[32rem] bg-white p-6 shadow-2xl backdrop:bg-black/50"
      >
        <h2 id="stop-protection-title" className="mb-3 text-2xl font-light">
          Stop protection
        </h2>
        <p className="mb-4 text-sm">
          {selected
            ? `The agent on '${selected.server}' stops backing up '${selected.name}'.`
            : 'Select an item first.'}{' '}
          Its recovery points are kept unless you choose to delete them.
        </p>
        <label className="mb-6 flex items-center gap-2 text-sm">
          <input
            type="checkbox"
            checked={deleteData}
            onChange={(e) => setDeleteData(e.target.checked)}
            className="accent-portal-red"
          />
          Delete associated backup data
        </label>
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
            onClick={() => selected && run(() => stopProtectionAction(selected.id, deleteData))}
            className="bg-portal-red px-4 py-1.5 text-sm text-white hover:bg-[#a50e1a] disabled:opacity-50"
          >
            Stop protection
          </button>
        </div>
      </dialog>
    </>
  );
}
