'use server';

import { revalidatePath } from 'next/cache';
import { requireUser } from '@/lib/auth/guard';
import { getServices } from '@/lib/services';
import { resolveAlerts } from './resolve';
import { saveAlertSettings } from './settings';

export async function saveAlertSettingsAction(input: {
  vaultId: string;
  emailRecipients: string;
  notify: string;
  severities: string[];
  webhookUrl: string;
  staleHours: string;
}) {
  const user = await requireUser();
  const result = await saveAlertSettings(await getServices(), user, input);
  if (result.ok) revalidatePath(`/recovery-services/vaults/${input.vaultId}`, 'layout');
  return result;
}

export async function resolveAlertsAction(vaultId: string, alertIds: string[]) {
  const user = await requireUser();
  const result = await resolveAlerts(await getServices(), user, { vaultId, alertIds });
  if (result.ok) revalidatePath(`/recovery-services/vaults/${vaultId}/alerts`);
  return result;
}
