'use client';

import { useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { OPERATIONS_KEY } from '@/components/shell/notifications';
import {
  deriveVaultKeys,
  objectId,
  parseWrappedVaultKey,
  sealObject,
  toBase64,
  unwrapVaultKey,
  type VaultKeys,
} from '@/lib/backup-format';
import { requestRestoreAction } from '@/lib/restore/actions';
import type { RestoreTarget } from '@/lib/restore/requests';
import type { SealedRestoreRequest } from '@/wire/protocol';
import type { Selection } from './files-grid';
import type { PointReader } from './point-reader';

export type { RestoreTarget };

/**
 * RECOVER TO SERVER: the selection (or the whole point) restored into a folder of a registered server by its agent.
 * The request is sealed here under the chosen server's vault key, opened with the same passphrase (servers of a
 * vault usually share it), so the portal passes it on without reading which files or where.
 */
export function RecoverToServer({
  vaultId,
  itemId,
  pointId,
  reader,
  passphrase,
  selection,
  targets,
  onClose,
}: {
  vaultId: string;
  itemId: string;
  pointId: string;
  reader: PointReader;
  passphrase: string;
  selection: Selection;
  targets: RestoreTarget[];
  onClose: (message?: { error: boolean; text: string }) => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const queryClient = useQueryClient();
  const usable = targets.filter((t) => t.keyId);
  const [serverId, setServerId] = useState(usable[0]?.serverId ?? '');
  const [folder, setFolder] = useState('');
  const [conflict, setConflict] = useState<SealedRestoreRequest['conflict']>('copies');
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  useEffect(() => {
    dialog.current?.showModal();
  }, []);

  async function keysOf(target: RestoreTarget): Promise<VaultKeys> {
    if (target.keyId === reader.keyId) return deriveVaultKeys(reader.vaultKey);
    try {
      return await deriveVaultKeys(await unwrapVaultKey(parseWrappedVaultKey(target.wrappedKey), passphrase));
    } catch {
      throw new Error(
        `The passphrase does not open the key of '${target.name}'. On that server, run the agent's recover with --from-server and this point's server's passphrase.`,
      );
    }
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    const target = usable.find((t) => t.serverId === serverId);
    if (!target?.keyId) return;
    if (!/^(\/|[A-Za-z]:[\\/]|\\\\)/.test(folder)) {
      setError('Type the absolute path of a folder on the server.');
      return;
    }
    setPending(true);
    setError(null);
    try {
      const keys = await keysOf(target);
      const body: SealedRestoreRequest = {
        vaultKey: toBase64(reader.vaultKey),
        selection: selection?.path ?? '',
        target: folder,
        conflict,
      };
      const plain = new TextEncoder().encode(JSON.stringify(body));
      const id = await objectId(keys, plain);
      const sealed = await sealObject(keys, id, plain);
      const result = await requestRestoreAction({
        vaultId,
        itemId,
        pointId,
        serverId: target.serverId,
        keyId: target.keyId,
        requestId: id,
        request: toBase64(sealed),
      });
      await queryClient.invalidateQueries({ queryKey: OPERATIONS_KEY });
      if (!result.ok) {
        setError(result.message ?? 'The restore could not be requested.');
        return;
      }
      dialog.current?.close();
      onClose({ error: false, text: result.message ?? '' });
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setPending(false);
    }
  }

  return (
    <dialog
      ref={dialog}
      aria-labelledby="recover-to-server-title"
      onClose={() => onClose()}
      className="m-auto w-[34rem] bg-white p-6 shadow-2xl backdrop:bg-black/50"
    >
      <h2 id="recover-to-server-title" className="mb-3 text-2xl font-light">
        Recover to server
      </h2>
      <p className="mb-4 text-sm">
        {selection ? `'${selection.path}'` : 'The whole recovery point'} is restored by the agent of the server you
        choose, into the folder you name there.
      </p>
      <form onSubmit={submit} className="flex flex-col gap-4 text-sm">
        <label className="flex flex-col gap-1">
          Server
          <select value={serverId} onChange={(e) => setServerId(e.target.value)} className="border px-2 py-1.5">
            {usable.map((t) => (
              <option key={t.serverId} value={t.serverId}>
                {t.name}
              </option>
            ))}
          </select>
        </label>
        <label className="flex flex-col gap-1">
          Folder
          <input
            value={folder}
            onChange={(e) => setFolder(e.target.value)}
            placeholder="/srv/restored"
            className="border px-2 py-1.5 font-mono"
          />
        </label>
        <label className="flex flex-col gap-1">
          If a file exists
          <select
            value={conflict}
            onChange={(e) => setConflict(e.target.value as SealedRestoreRequest['conflict'])}
            className="border px-2 py-1.5"
          >
            <option value="copies">Create copies, keeping both versions</option>
            <option value="overwrite">Overwrite it</option>
            <option value="skip">Keep it, skip the recovered one</option>
          </select>
        </label>
        <p role="alert" className="min-h-5 text-portal-red">
          {error}
        </p>
        <div className="flex justify-end gap-2">
          <button
            type="button"
            onClick={() => dialog.current?.close()}
            className="border border-[#8a8a8a] px-4 py-1.5 hover:bg-[#f3f3f3]"
          >
            Cancel
          </button>
          <button
            type="submit"
            disabled={pending || !serverId || folder === ''}
            className="bg-portal-blue px-4 py-1.5 text-white disabled:opacity-50"
          >
            RECOVER
          </button>
        </div>
      </form>
    </dialog>
  );
}
