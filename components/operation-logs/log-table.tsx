import { TableHead } from '@/components/table-head';

export type LogRowView = {
  id: string;
  /** The entry's place in its chain, as the chain check names it. */
  entry: string;
  /** The chain check found this entry changed. */
  changed: boolean;
  time: string;
  user: string;
  subscription: string;
  vault: string;
  operation: string;
  target: string | null;
  status: string;
  detail: string | null;
  before: string | null;
  after: string | null;
};

const STATUS_COLOUR: Record<string, string> = {
  Succeeded: 'text-portal-green',
  Failed: 'text-portal-red',
  Refused: 'text-portal-red',
};

/** The operation log entries, newest first; an entry's before and after open under it. */
export function LogTable({ rows }: { rows: LogRowView[] }) {
  return (
    <table className="w-full border-collapse text-sm">
      <TableHead columns={['TIME', 'USER', 'SUBSCRIPTION', 'VAULT', 'OPERATION', 'STATUS', 'DETAILS']} />
      <tbody>
        {rows.map((row) => (
          <tr key={row.id} className="border-b border-portal-line align-top">
            <td className="whitespace-nowrap py-2 pr-4">
              {row.time}
              <span className={`block text-xs ${row.changed ? 'font-semibold text-portal-red' : 'text-portal-muted'}`}>
                {row.entry}
                {row.changed && ' (changed)'}
              </span>
            </td>
            <td className="break-words py-2 pr-4">{row.user}</td>
            <td className="py-2 pr-4">{row.subscription}</td>
            <td className="py-2 pr-4">{row.vault}</td>
            <td className="py-2 pr-4">
              {row.operation}
              {row.target && <span className="block break-all font-mono text-[13px]">{row.target}</span>}
            </td>
            <td className={`py-2 pr-4 ${STATUS_COLOUR[row.status] ?? ''}`}>{row.status}</td>
            <td className="max-w-md py-2 pr-4 text-portal-muted">
              {row.detail}
              {(row.before || row.after) && (
                <details className="mt-1">
                  <summary className="cursor-pointer text-portal-blue">Before and after</summary>
                  <dl className="mt-1 grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-xs text-[#1b1b1b]">
                    <dt className="font-semibold">Before</dt>
                    <dd>
                      <pre className="whitespace-pre-wrap break-all">{row.before ?? '—'}</pre>
                    </dd>
                    <dt className="font-semibold">After</dt>
                    <dd>
                      <pre className="whitespace-pre-wrap break-all">{row.after ?? '—'}</pre>
                    </dd>
                  </dl>
                </details>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
