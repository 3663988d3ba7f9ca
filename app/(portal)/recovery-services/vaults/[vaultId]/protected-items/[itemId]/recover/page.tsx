import { notFound } from 'next/navigation';
import { RecoveryBrowser } from '@/components/recovery/recovery-browser';
import { recoverableItem } from '@/lib/restore/browse';
import { restoreTargets } from '@/lib/restore/requests';
import { loadVault } from '@/lib/vaults/page';

export default async function RecoverPage({ params }: { params: Promise<{ vaultId: string; itemId: string }> }) {
  const { vaultId, itemId } = await params;
  const { vault, svc, canChange } = await loadVault(vaultId);
  const item = await recoverableItem(svc.db, vault.id, itemId);
  if (!item) notFound();
  return (
    <section aria-labelledby="select-point">
      <h2 id="select-point" className="mb-1 text-2xl font-light">
        Select a recovery point
      </h2>
      <p className="mb-6 text-sm text-portal-muted">
        <span className="font-mono">{item.path}</span> on {item.serverName}. The passphrase opens the backup here, in
        your browser: it is never sent to the portal.
      </p>
      <RecoveryBrowser
        vaultId={vault.id}
        itemId={item.id}
        newest={item.newest}
        targets={await restoreTargets(svc, vault.id)}
        canChange={canChange}
      />
    </section>
  );
}
