import { ConfigureForm } from '@/components/vaults/configure-form';
import { alertSettings } from '@/lib/alerts/queries';
import { loadVaultTab } from '@/lib/vaults/page';

export default async function ConfigurePage({ params }: { params: Promise<{ vaultId: string }> }) {
  const { vault, canChange, svc } = await loadVaultTab(params, 'configure');
  const alerts = await alertSettings(svc.db, vault.id);
  const view = {
    emailRecipients: alerts?.emailRecipients ?? '',
    notify: alerts?.notify ?? 'PerAlert',
    severities: alerts?.severities ?? ['Critical', 'Warning'],
    webhookUrl: alerts?.webhookUrl ?? '',
    staleHours: String(alerts?.staleHours ?? 48),
  };
  return (
    <ConfigureForm
      vaultId={vault.id}
      saved={vault.storageReplication}
      locked={vault.replicationLocked}
      canChange={canChange}
      alerts={view}
      emailReady={Boolean(svc.env.SMTP_URL)}
    />
  );
}
