import { loadVaultTab } from '@/lib/vaults/page';

export default async function QuickStartPage({ params }: { params: Promise<{ vaultId: string }> }) {
  const { vault } = await loadVaultTab(params, 'quick-start');
  return (
    <div className="max-w-3xl">
      <h2 className="mb-2 text-2xl font-light">Protect your servers with {vault.name}</h2>
      <p className="mb-6 text-sm text-portal-muted">
        Back up files and folders of Windows servers and clients to this vault.
      </p>
      <ol className="space-y-6">
        <li>
          <h3 className="text-lg font-light">1. Create a backup vault</h3>
          <p className="text-sm text-portal-muted">
            {vault.status === 'Active' ? 'Done: this vault is active.' : `This vault is ${vault.status.toLowerCase()}.`}
          </p>
        </li>
        <li>
          <h3 className="text-lg font-light">2. Download vault credentials</h3>
          <p className="text-sm text-portal-muted">Vault credentials are used to register a server with this vault.</p>
        </li>
        <li>
          <h3 className="text-lg font-light">3. Install the agent and register the server</h3>
          <p className="text-sm text-portal-muted">
            Run the agent on the server you want to protect and register it with the vault credentials file.
          </p>
        </li>
      </ol>
    </div>
  );
}
