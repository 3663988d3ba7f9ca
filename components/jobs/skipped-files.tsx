'use client';

import { type FormEvent, useState } from 'react';
import { PassphraseField } from '@/components/recovery/passphrase-field';
import { type PointAddress, PointReader } from '@/components/recovery/point-reader';
import { TableHead } from '@/components/table-head';
import { type SkippedList, WrongPassphraseError } from '@/lib/backup-format';

/**
 * The names of a backup's skipped files, which the portal holds only encrypted: the passphrase opens the point's
 * vault key here, in the browser, as the recovery-point browser does (PointReader), and the list is read and decrypted
 * here too. The passphrase and the names never leave the browser.
 */
export function SkippedFiles({ point, listId }: { point: PointAddress; listId: string }) {
  const [passphrase, setPassphrase] = useState('');
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState<{ error: boolean; text: string } | null>(null);
  const [list, setList] = useState<SkippedList | null>(null);

  async function show(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setList(null);
    setStatus({ error: false, text: 'Opening the list…' });
    try {
      const reader = await PointReader.open(point, passphrase);
      setList(await reader.skippedFiles(listId));
      setStatus(null);
    } catch (error) {
      setStatus({
        error: true,
        text: error instanceof WrongPassphraseError ? error.message : (error as Error).message,
      });
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="flex flex-col gap-4 text-sm">
      <form onSubmit={show} className="flex flex-wrap items-end gap-4">
        <PassphraseField value={passphrase} onChange={setPassphrase} className="flex w-80 flex-col gap-1" />
        <button
          type="submit"
          disabled={passphrase === '' || busy}
          className="bg-portal-blue px-5 py-1.5 font-semibold text-white disabled:opacity-50"
        >
          SHOW FILES
        </button>
      </form>
      <p role={status?.error ? 'alert' : 'status'} className={status?.error ? 'text-portal-red' : 'text-portal-muted'}>
        {status?.text}
      </p>
      {list && (
        <table className="w-full border-collapse">
          <TableHead columns={['PATH', 'REASON']} />
          <tbody>
            {list.files.map((file) => (
              <tr key={file.path} className="border-b border-portal-line">
                <td className="break-all py-2 pr-4 font-mono text-[13px]">{file.path}</td>
                <td className="py-2 pr-4">{file.reason}</td>
              </tr>
            ))}
            {list.more > 0 && (
              <tr>
                <td colSpan={2} className="py-2 pr-4 text-portal-muted">
                  … and {list.more.toLocaleString('en-US')} more
                </td>
              </tr>
            )}
          </tbody>
        </table>
      )}
    </div>
  );
}
