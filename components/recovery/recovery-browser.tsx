'use client';

import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useCallback, useEffect, useMemo, useState } from 'react';
import { DayPicker } from 'react-day-picker';
import { PassphraseField } from './passphrase-field';
import 'react-day-picker/style.css';
import { RestoreIcon, SaveIcon } from '@/components/icons';
import { CommandBarActions, CommandButton } from '@/components/shell/command-bar';
import { WrongPassphraseError } from '@/lib/backup-format';
import { pointsOfMonthAction } from '@/lib/restore/actions';
import type { PointSummary } from '@/lib/restore/browse';
import { chooseSink, downloadName, downloadStream, isCancelled, prepareDownloads } from './download';
import { FilesGrid, type Selection } from './files-grid';
import { type FolderListing, PointReader } from './point-reader';
import { RecoverToServer, type RestoreTarget } from './recover-to-server';

const dayKey = (date: Date) => `${date.getFullYear()}-${date.getMonth()}-${date.getDate()}`;
const monthStart = (date: Date) => new Date(date.getFullYear(), date.getMonth(), 1);

/**
 * The recovery-point browser: a calendar of the dates with points (one month at a time, from the server), the
 * points of the chosen date, and the passphrase that opens the point here, in the browser, to browse and download.
 */
export function RecoveryBrowser({
  vaultId,
  itemId,
  newest,
  targets,
  canChange,
}: {
  vaultId: string;
  itemId: string;
  newest: PointSummary | null;
  targets: RestoreTarget[];
  canChange: boolean;
}) {
  const newestDate = newest ? new Date(newest.takenAt) : new Date();
  const [month, setMonth] = useState(() => monthStart(newestDate));
  const [day, setDay] = useState<Date | undefined>(newest ? newestDate : undefined);
  const [pointId, setPointId] = useState<string | null>(newest?.id ?? null);
  const [passphrase, setPassphrase] = useState('');
  const [status, setStatus] = useState<{ error: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [opened, setOpened] = useState<{ reader: PointReader; root: FolderListing } | null>(null);
  const [selection, setSelection] = useState<Selection>(null);

  // The download worker (download.ts), registered now so that it is active by the first DOWNLOAD.
  useEffect(() => {
    void prepareDownloads();
  }, []);

  const points = useQuery({
    queryKey: ['recovery-points', itemId, month.getTime()],
    queryFn: async () => {
      const next = new Date(month.getFullYear(), month.getMonth() + 1, 1);
      const result = await pointsOfMonthAction(vaultId, itemId, {
        from: month.toISOString(),
        to: next.toISOString(),
      });
      if (!result.ok) throw new Error(result.message);
      return result.data;
    },
    staleTime: 30_000,
  });
  const byDay = useMemo(() => {
    const map = new Map<string, PointSummary[]>();
    for (const point of points.data ?? []) {
      const key = dayKey(new Date(point.takenAt));
      map.set(key, [...(map.get(key) ?? []), point]);
    }
    return map;
  }, [points.data]);
  // The month's points come newest first, so each day's list is too.
  const dayPoints =
    day && points.data && monthStart(day).getTime() === month.getTime() ? byDay.get(dayKey(day)) : undefined;

  function choosePoint(id: string | null) {
    setPointId(id);
    setOpened(null);
    setSelection(null);
    setStatus(null);
  }

  async function browse(event: FormEvent) {
    event.preventDefault();
    if (!pointId) return;
    setBusy(true);
    setStatus({ error: false, text: 'Opening the recovery point…' });
    setOpened(null);
    setSelection(null);
    try {
      const reader = await PointReader.open({ vaultId, itemId, pointId }, passphrase);
      // The key is derived: from here to the first rows is what `npm run bench` measures.
      performance.mark('recovery-point-opened');
      const root = await reader.folder(reader.rootId);
      setOpened({ reader, root });
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

  async function download() {
    if (!opened || !selection || selection.entry.type === 'symlink') return;
    const name = downloadName(selection.entry);
    setStatus({ error: false, text: `Downloading ${name}…` });
    try {
      const sink = await chooseSink(name);
      await sink.write(downloadStream(opened.reader, selection.entry));
      setStatus({ error: false, text: `Downloaded ${name}.` });
    } catch (error) {
      if (isCancelled(error)) setStatus({ error: false, text: `The download of ${name} was cancelled.` });
      else setStatus({ error: true, text: `The download of ${name} failed: ${(error as Error).message}` });
    }
  }

  const onError = useCallback((text: string) => setStatus({ error: true, text }), []);
  const [recovering, setRecovering] = useState(false);

  return (
    <div className="flex flex-col gap-6">
      <div className="flex flex-wrap items-start gap-10">
        <DayPicker
          mode="single"
          month={month}
          onMonthChange={(next) => setMonth(monthStart(next))}
          selected={day}
          onSelect={(date) => {
            if (!date) return;
            setDay(date);
            choosePoint(byDay.get(dayKey(date))?.[0]?.id ?? null);
          }}
          disabled={(date) => !byDay.has(dayKey(date))}
          modifiers={{ hasPoints: (date) => byDay.has(dayKey(date)) }}
          modifiersClassNames={{ hasPoints: 'font-bold' }}
          labels={{
            labelGrid: () => 'Recovery point dates',
            labelPrevious: () => 'Previous month',
            labelNext: () => 'Next month',
          }}
          aria-busy={points.isFetching}
        />
        <form onSubmit={browse} className="flex w-80 flex-col gap-4 text-sm">
          <label className="flex flex-col gap-1">
            Time
            <select
              value={pointId ?? ''}
              onChange={(e) => choosePoint(e.target.value || null)}
              disabled={!dayPoints}
              className="border border-portal-line px-2 py-1.5"
            >
              {(dayPoints ?? []).map((point) => (
                <option key={point.id} value={point.id}>
                  {new Date(point.takenAt).toLocaleTimeString()}
                </option>
              ))}
            </select>
          </label>
          <PassphraseField value={passphrase} onChange={setPassphrase} />
          <button
            type="submit"
            disabled={!pointId || passphrase === '' || busy}
            className="self-start bg-portal-blue px-5 py-1.5 font-semibold text-white disabled:opacity-50"
          >
            BROWSE
          </button>
          <p
            role={status?.error ? 'alert' : 'status'}
            className={status?.error ? 'text-portal-red' : 'text-portal-muted'}
          >
            {status?.text}
          </p>
        </form>
      </div>
      {opened && (
        <FilesGrid key={pointId} reader={opened.reader} root={opened.root} onSelect={setSelection} onError={onError} />
      )}
      <CommandBarActions>
        <CommandButton
          label="DOWNLOAD"
          icon={SaveIcon}
          disabled={!opened || !selection || selection.entry.type === 'symlink'}
          onClick={() => void download()}
        />
        <CommandButton
          label="RECOVER TO SERVER"
          icon={RestoreIcon}
          disabled={!opened || !canChange}
          onClick={() => setRecovering(true)}
        />
      </CommandBarActions>
      {opened && recovering && (
        <RecoverToServer
          vaultId={vaultId}
          itemId={itemId}
          pointId={pointId!}
          reader={opened.reader}
          passphrase={passphrase}
          selection={selection}
          targets={targets}
          onClose={(message) => {
            setRecovering(false);
            if (message) setStatus(message);
          }}
        />
      )}
    </div>
  );
}
