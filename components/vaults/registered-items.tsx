'use client';

import { useQueryClient } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useState, useTransition } from 'react';
import { TrashIcon, UndoIcon } from '@/components/icons';
import { ModalDialog } from '@/components/modal-dialog';
import { SelectableRow } from '@/components/selectable-row';
import { CommandBarActions, CommandButton } from '@/components/shell/command-bar';
import { OPERATIONS_KEY } from '@/components/shell/notifications';
import { TableHead } from '@/components/table-head';
import type { ActionResult } from '@/lib/errors';
import { allowReregistrationAction, unregisterServerAction } from '@/lib/servers/actions';

export type ServerView = { id: string; name: string; reregistrationAllowed: boolean; lastBackup: string };

export function RegisteredItems({
  servers,
  confirmText,
  canChange,
}: {
  servers: ServerView[];
  confirmText: string;
  canChange: boolean;
}) {
  const router = useRouter();
  const queryClient = useQueryClient();
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();
  const selected = servers.find((s) => s.id === selectedId);

  function run(action: (id: string) => Promise<ActionResult>) {
    if (!selected) return;
    startTransition(async () => {
      const result = await action(selected.id);
      setError(result.ok ? null : (result.message ?? null));
      setConfirming(false);
      await queryClient.invalidateQueries({ queryKey: OPERATIONS_KEY });
      router.refresh();
    });
  }

  return (
    <>
      <table className="w-full border-collapse text-sm">
        <TableHead columns={[null, 'NAME', 'TYPE', 'STATUS', 'LAST BACKUP']} />
        <tbody>
          {servers.map((server) => (
            <SelectableRow
              key={server.id}
              group="server"
              label={`Select ${server.name}`}
              selected={server.id === selectedId}
              onSelect={() => setSelectedId(server.id)}
            >
              <td className="py-2.5 pr-4">{server.name}</td>
              <td className="py-2.5 pr-4">Server</td>
              <td className="py-2.5 pr-4">
                {server.reregistrationAllowed ? 'Registered (re-registration allowed)' : 'Registered'}
              </td>
              <td className="py-2.5 pr-4">{server.lastBackup}</td>
            </SelectableRow>
          ))}
        </tbody>
      </table>
      <p role="alert" className="mt-3 min-h-5 text-sm text-portal-red">
        {error}
      </p>
      <CommandBarActions>
        <CommandButton
          label="ALLOW RE-REGISTRATION"
          icon={UndoIcon}
          disabled={!canChange || !selected || selected.reregistrationAllowed || pending}
          onClick={() => run(allowReregistrationAction)}
        />
        <CommandButton
          label="DELETE"
          icon={TrashIcon}
          disabled={!canChange || !selected || pending}
          onClick={() => setConfirming(true)}
        />
      </CommandBarActions>
      {confirming && selected && (
        <ModalDialog
          label="Unregister server"
          role="alertdialog"
          onClose={() => setConfirming(false)}
          className="m-auto w-[30rem] bg-white p-6 shadow-2xl backdrop:bg-black/50"
        >
          <h2 className="mb-3 text-2xl font-light">Unregister {selected.name}</h2>
          <p className="mb-6 text-sm">{confirmText}</p>
          <div className="flex justify-end gap-2">
            <button
              type="button"
              onClick={() => setConfirming(false)}
              className="border border-[#8a8a8a] px-4 py-1.5 text-sm hover:bg-[#f3f3f3]"
            >
              No
            </button>
            <button
              type="button"
              disabled={pending}
              onClick={() => run(unregisterServerAction)}
              className="bg-portal-red px-4 py-1.5 text-sm text-white hover:bg-[#a50e1a] disabled:opacity-50"
            >
              Yes
            </button>
          </div>
        </ModalDialog>
      )}
    </>
  );
}
