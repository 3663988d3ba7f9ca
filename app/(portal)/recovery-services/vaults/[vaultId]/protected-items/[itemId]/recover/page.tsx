import { notFound } from 'next/navigation';
import { TableHead } from '@/components/table-head';
import { itemWithPoints } from '@/lib/backups/portal';
import { formatBytes } from '@/lib/format';
import { loadVault } from '@/lib/vaults/page';

export default async function RecoverPage({ params }: { params: Promise<{ vaultId: string; itemId: string }> }) {
  const { vaultId, itemId } = await params;
  const { vault, svc } = await loadVault(vaultId);
  const item = await itemWithPoints(svc.db, vault.id, itemId);
  if (!item) notFound();
  return (
    <section aria-labelledby="select-point">
      <h2 id="select-point" className="mb-1 text-2xl font-light">
        Select a recovery point
      </h2>
      <p className="mb-4 text-sm text-portal-muted">
        <span className="font-mono">{item.path}</span> on {item.serverName}
      </p>
      <table className="w-full max-w-3xl border-collapse text-sm">
        <TableHead columns={['TIME', 'FILES', 'FOLDERS', 'SIZE']} />
        <tbody>
          {item.points.map((point) => (
            <tr key={point.id} className="border-b border-portal-line">
              <td className="py-2 pr-4">{point.takenAt.toUTCString()}</td>
              <td className="py-2 pr-4">{point.files.toLocaleString('en-US')}</td>
              <td className="py-2 pr-4">{point.folders.toLocaleString('en-US')}</td>
              <td className="py-2 pr-4">{formatBytes(point.bytes)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
