import { DownloadCredentials } from '@/components/vaults/download-credentials';
import { Step } from '@/components/vaults/quick-start-step';
import { loadVaultTab } from '@/lib/vaults/page';

export default async function QuickStartPage({ params }: { params: Promise<{ vaultId: string }> }) {
  const { vault, canChange } = await loadVaultTab(params, 'quick-start');
  const active = vault.status === 'Active';
  return (
    <div className="max-w-3xl">
      <h2 className="mb-1 text-2xl font-light">Protect your servers</h2>
      <p className="mb-8 text-sm text-portal-muted">
        Back up files and folders of Windows Server, System Center Data Protection Manager and Windows clients to this
        vault in three steps.
      </p>
      <ol className="space-y-8">
        <Step n={1} title="Create a backup vault">
          <p>{active ? `Done: ${vault.name} is active.` : `${vault.name} is ${vault.status.toLowerCase()}.`}</p>
        </Step>
        <Step n={2} title="Download vault credentials">
          <p>
            A vault credentials file registers a server with this vault. It is valid for 48 hours, and only the newest
            file you downloaded can register a server: each download replaces the previous one. Keep it safe, as anyone
            holding it can register a server while it is valid.
          </p>
          {active ? (
            <DownloadCredentials vaultId={vault.id} disabled={!canChange} />
          ) : (
            <p>Vault credentials can be downloaded once the vault is active.</p>
          )}
        </Step>
        <Step n={3} title="Install the agent and register the server">
          <p>
            Run the agent on the server you want to protect, and register it with the vault credentials file and a
            passphrase of at least 16 characters. The passphrase encrypts your backups on the server; it never leaves
            that machine, so keep it where you will find it to restore.
          </p>
          <h4 className="pt-2 text-base font-semibold text-[#1b1b1b]">Download Agent</h4>
          <p>
            <a
              href="/downloads/recovery-services-agent.mjs"
              download
              className="text-base text-portal-blue hover:underline"
            >
              For Windows Server or System Center Data Protection Manager or Windows client
            </a>
          </p>
          <p>The agent is one file that runs with Node.js 20 or newer, with nothing to install. On the server, run:</p>
          <pre className="overflow-x-auto bg-[#f3f3f3] px-3 py-2 text-xs text-[#1b1b1b]">
            {
              'node recovery-services-agent.mjs register --vault-credentials FILE.VaultCredentials --passphrase-file PASSPHRASE.txt'
            }
          </pre>
        </Step>
      </ol>
    </div>
  );
}
