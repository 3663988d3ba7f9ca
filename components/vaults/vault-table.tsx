import Link from 'next/link';
import { CloudIcon } from '@/components/icons';
import { TableHead } from '@/components/table-head';
import type { VaultRow } from '@/lib/vaults/queries';
import { regionName } from '@/lib/vaults/regions';

const statusStyle: Record<VaultRow['status'], string> = {
  Creating: 'bg-portal-blue animate-pulse',
  Active: 'bg-portal-green',
  Failed: 'bg-portal-red',
  Deleting: 'bg-[#8a8a8a] animate-pulse',
};

export function VaultStatus({ status }: { status: VaultRow['status'] }) {
  return (
    <span className="inline-flex items-center gap-2">
      <span aria-hidden="true" className={`inline-block h-2.5 w-2.5 rounded-full ${statusStyle[status]}`} />
      {status}
    </span>
  );
}

/**
 * The classic full-width list: NAME, TYPE, STATUS, LOCATION, SUBSCRIPTION; names link to the vault. `nextHref` is
 * the next page's address, when there is one.
 */
export function VaultTable({ rows, nextHref }: { rows: VaultRow[]; nextHref?: string }) {
  return (
    <div className="px-8 pb-8">
      <table className="w-full border-collapse text-sm">
        <TableHead columns={['NAME', 'TYPE', 'STATUS', 'LOCATION', 'SUBSCRIPTION']} />
        <tbody>
          {rows.map((vault) => (
            <tr key={vault.id} className="border-b border-portal-line hover:bg-portal-row">
              <td className="py-2.5 pr-4">
                <Link
                  href={`/recovery-services/vaults/${vault.id}`}
                  className="inline-flex items-center gap-2 text-portal-blue hover:underline"
                >
                  <CloudIcon width={18} height={18} className="text-portal-muted" />
                  {vault.name}
                </Link>
              </td>
              <td className="py-2.5 pr-4">Backup vault</td>
              <td className="py-2.5 pr-4">
                <VaultStatus status={vault.status} />
              </td>
              <td className="py-2.5 pr-4">{regionName(vault.region)}</td>
              <td className="py-2.5 pr-4">{vault.subscriptionName}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {nextHref && (
        <p className="mt-4 text-sm">
          <Link href={nextHref} className="text-portal-blue hover:underline">
            Next page
          </Link>
        </p>
      )}
    </div>
  );
}
