import Link from 'next/link';
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
 * the next page's address, when there is one. Its look lives in one stylesheet rule set (`.vault-table` in
 * app/globals.css: the cells' padding, the cloud icon, the status dot) rather than on every row: a page of 50 rows
 * is rendered, serialised twice (HTML and the RSC payload), compressed and sent on every visit. For the same reason
 * the names are plain links: a next/link is a client component, so each of the 50 rows carried a reference to it in
 * the payload and ran its hooks (and its viewport prefetch) on the server and in the browser (issue 13).
 */
export function VaultTable({ rows, nextHref }: { rows: VaultRow[]; nextHref?: string }) {
  return (
    <div className="px-8 pb-8">
      <table className="vault-table w-full border-collapse text-sm">
        <TableHead columns={['NAME', 'TYPE', 'STATUS', 'LOCATION', 'SUBSCRIPTION']} />
        <tbody>
          {rows.map((vault) => (
            <tr key={vault.id}>
              <td>
                <a href={`/recovery-services/vaults/${vault.id}`}>{vault.name}</a>
              </td>
              <td>Backup vault</td>
              <td className={`vault-status-${vault.status}`}>{vault.status}</td>
              <td>{regionName(vault.region)}</td>
              <td>{vault.subscriptionName}</td>
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
