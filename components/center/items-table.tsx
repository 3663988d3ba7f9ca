import Link from 'next/link';
import { TableHead } from '@/components/table-head';

export type CenterItemRow = {
  id: string;
  vaultId: string;
  vault: string;
  item: string;
  server: string;
  status: string;
  lastGoodBackup: string;
  reason: string;
};

/** Protected items across vaults: the vault links to its PROTECTED ITEMS, a Failed item's reason is its job's error. */
export function CenterItemsTable({ rows, label }: { rows: CenterItemRow[]; label: string }) {
  return (
    <table aria-label={label} className="w-full text-sm">
      <TableHead columns={['VAULT', 'ITEM', 'SERVER', 'STATUS', 'LAST GOOD BACKUP', 'REASON']} />
      <tbody>
        {rows.map((row) => (
          <tr key={row.id} className="border-b border-portal-line">
            <td className="py-2.5 pr-4">
              <Link
                href={`/recovery-services/vaults/${row.vaultId}/protected-items`}
                className="text-portal-blue hover:underline"
              >
                {row.vault}
              </Link>
            </td>
            <td className="py-2.5 pr-4 break-all">{row.item}</td>
            <td className="py-2.5 pr-4">{row.server}</td>
            <td className={`py-2.5 pr-4 ${row.status === 'Failed' ? 'text-portal-red' : ''}`}>{row.status}</td>
            <td className="py-2.5 pr-4">{row.lastGoodBackup}</td>
            <td className="py-2.5 pr-4">{row.reason}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
