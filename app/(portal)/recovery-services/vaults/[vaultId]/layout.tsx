import type { ReactNode } from 'react';
import { VaultNav } from '@/components/vaults/vault-nav';
import { VaultStatus } from '@/components/vaults/vault-table';
import { loadVault } from '@/lib/vaults/page';

export default async function VaultLayout({
  params,
  children,
}: {
  params: Promise<{ vaultId: string }>;
  children: ReactNode;
}) {
  const { vault } = await loadVault((await params).vaultId);
  return (
    <>
      <div className="px-8 pt-6 pb-3">
        <p className="text-xs font-semibold tracking-wide text-portal-muted">BACKUP VAULT</p>
        <h1 className="text-4xl font-light lowercase">{vault.name}</h1>
        <p className="mt-1 text-sm text-portal-muted">
          <VaultStatus status={vault.status} />
        </p>
      </div>
      <VaultNav vaultId={vault.id} />
      <div className="px-8 py-6">{children}</div>
    </>
  );
}
