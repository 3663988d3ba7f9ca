import Link from 'next/link';
import { TableHead } from '@/components/table-head';
import { escapeHtml } from '@/lib/html/markup';
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
 * The rows of one page as HTML, every value escaped. Written short, as the RSC payload carries it a second time with
 * each `<` and `>` as a six-character escape: single-quoted attributes (escapeHtml escapes both quotes) and no `</td>`
 * or `</tr>`, end tags HTML lets a table leave out; the browser builds the same rows.
 */
export function vaultRowsHtml(rows: VaultRow[]): string {
  return rows
    .map(
      (vault) =>
        `<tr><td><a href='/recovery-services/vaults/${escapeHtml(vault.id)}'>${escapeHtml(vault.name)}</a>` +
        `<td>Backup vault<td class='vault-status-${escapeHtml(vault.status)}'>${escapeHtml(vault.status)}` +
        `<td>${escapeHtml(regionName(vault.region))}<td>${escapeHtml(vault.subscriptionName)}`,
    )
    .join('');
}

/**
 * The classic full-width list: NAME, TYPE, STATUS, LOCATION, SUBSCRIPTION; names link to the vault. `nextHref` is
 * the next page's address, when there is one. A page of 50 rows is rendered, serialised twice (the RSC payload and
 * the HTML), sent and parsed again in the browser on every visit, and nothing in it changes there, so (issue 13):
 * - its look lives in one stylesheet rule set (`.vault-table` in app/globals.css: the cells' padding, the cloud icon,
 *   the status dot) rather than on every row;
 * - the names are plain links: a next/link is a client component, whose reference each row carried in the payload
 *   and whose hooks (and viewport prefetch) ran on the server and in the browser;
 * - the rows are one HTML string (lib/html/markup.ts escapes every value) rather than 350 elements: one value in the
 *   payload instead of an element tree, and about a third fewer bytes.
 */
export function VaultTable({ rows, nextHref }: { rows: VaultRow[]; nextHref?: string }) {
  return (
    <div className="px-8 pb-8">
      <table className="vault-table w-full border-collapse text-sm">
        <TableHead columns={['NAME', 'TYPE', 'STATUS', 'LOCATION', 'SUBSCRIPTION']} />
        {/* biome-ignore lint/security/noDangerouslySetInnerHtml: built by vaultRowsHtml, every value escaped */}
        <tbody dangerouslySetInnerHTML={{ __html: vaultRowsHtml(rows) }} />
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
