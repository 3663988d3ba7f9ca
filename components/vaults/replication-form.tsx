'use client';

import { useQueryClient } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useId, useState, useTransition } from 'react';
import { SaveIcon, UndoIcon } from '@/components/icons';
import { CommandBarActions, CommandButton } from '@/components/shell/command-bar';
import { OPERATIONS_KEY } from '@/components/shell/notifications';
import { saveStorageReplicationAction } from '@/lib/vaults/actions';
import { REPLICATION, replicationMessages, type StorageReplication } from '@/lib/vaults/replication';

export function ReplicationForm({
  vaultId,
  saved,
  locked,
  canChange,
}: {
  vaultId: string;
  saved: StorageReplication;
  locked: boolean;
  /** The user's role may change the vault (a Reader's form is read-only). */
  canChange: boolean;
}) {
  const router = useRouter();
  const queryClient = useQueryClient();
  const headingId = useId();
  const [choice, setChoice] = useState<StorageReplication>(saved);
  const [error, setError] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();
  const fixed = locked || !canChange;
  const dirty = choice !== saved && !fixed;

  function save() {
    startTransition(async () => {
      const result = await saveStorageReplicationAction(vaultId, choice);
      setError(result.ok ? null : (result.message ?? null));
      await queryClient.invalidateQueries({ queryKey: OPERATIONS_KEY });
      router.refresh();
    });
  }

  return (
    <section className="max-w-3xl">
      <h2 id={headingId} className="mb-2 text-xl font-light">
        Storage replication
      </h2>
      {locked ? (
        <p className="mb-4 border-l-4 border-portal-muted bg-[#f3f3f3] px-4 py-2 text-sm">
          {replicationMessages.locked}
        </p>
      ) : (
        <p className="mb-4 border-l-4 border-[#c19c00] bg-[#fff8e1] px-4 py-2 text-sm">{replicationMessages.warning}</p>
      )}
      <div role="radiogroup" aria-labelledby={headingId} aria-disabled={fixed || undefined} className="space-y-4">
        {(Object.keys(REPLICATION) as StorageReplication[]).map((value) => (
          <label key={value} className={`flex gap-3 ${fixed ? 'opacity-60' : 'cursor-pointer'}`}>
            <input
              type="radio"
              name="storageReplication"
              value={value}
              checked={choice === value}
              disabled={fixed || pending}
              onChange={() => setChoice(value)}
              className="mt-1 h-4 w-4 accent-portal-blue"
            />
            <span>
              <span className="block font-semibold">{REPLICATION[value].label}</span>
              <span className="block text-sm text-portal-muted">{REPLICATION[value].text}</span>
            </span>
          </label>
        ))}
      </div>
      <p role="alert" className="mt-4 min-h-5 text-sm text-portal-red">
        {error}
      </p>
      <CommandBarActions>
        <CommandButton label="SAVE" icon={SaveIcon} disabled={!dirty || pending} onClick={save} />
        <CommandButton label="DISCARD" icon={UndoIcon} disabled={!dirty || pending} onClick={() => setChoice(saved)} />
      </CommandBarActions>
    </section>
  );
}
