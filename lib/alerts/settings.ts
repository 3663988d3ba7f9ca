import 'server-only';
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { z } from 'zod';
import { withTransaction } from '@/db/client';
import { vaults } from '@/db/schema';
import type { PortalUser } from '@/lib/auth/users';
import { type ActionDone, actionOf, fieldRefusal, PortalError } from '@/lib/errors';
import { recordFinishedOperation } from '@/lib/operations/record';
import type { Services } from '@/lib/services';
import { vaultAccessOrThrow, vaultNotReady } from '@/lib/vaults/access';
import { ALERT_NOTIFY, ALERT_SEVERITIES, STALE_HOURS } from './kinds';

const MAX_RECIPIENTS = 20;
const email = z.email();

/** Whether a webhook may be called on this host over plain http: only the machine itself. */
function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

export const alertSettingsMessages = {
  recipients: `Enter email addresses separated by commas (at most ${MAX_RECIPIENTS}).`,
  webhook: 'The webhook URL must be an https:// URL, or http:// to this machine (localhost).',
  staleHours: `Alert when no backup for must be a whole number of hours from ${STALE_HOURS.min} to ${STALE_HOURS.max}.`,
  notify: 'Choose Per alert or Hourly digest.',
  severity: 'Choose the severities to notify: Critical, Warning.',
} as const;

const schema = z.object({
  vaultId: z.uuid(),
  emailRecipients: z
    .string({ error: alertSettingsMessages.recipients })
    .max(4000, alertSettingsMessages.recipients)
    .transform((text) =>
      text
        .split(',')
        .map((address) => address.trim())
        .filter(Boolean),
    )
    .refine((list) => list.length <= MAX_RECIPIENTS, alertSettingsMessages.recipients)
    .refine((list) => list.every((address) => email.safeParse(address).success), alertSettingsMessages.recipients),
  notify: z.enum(Object.keys(ALERT_NOTIFY) as ['PerAlert', 'HourlyDigest'], { error: alertSettingsMessages.notify }),
  severities: z.array(z.enum(ALERT_SEVERITIES, { error: alertSettingsMessages.severity })).max(2),
  webhookUrl: z
    .string({ error: alertSettingsMessages.webhook })
    .trim()
    .max(2000, alertSettingsMessages.webhook)
    .refine((text) => {
      if (text === '') return true;
      if (!URL.canParse(text)) return false;
      const url = new URL(text);
      return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopback(url.hostname));
    }, alertSettingsMessages.webhook),
  staleHours: z.coerce
    .number({ error: alertSettingsMessages.staleHours })
    .int(alertSettingsMessages.staleHours)
    .min(STALE_HOURS.min, alertSettingsMessages.staleHours)
    .max(STALE_HOURS.max, alertSettingsMessages.staleHours),
});

const FIELD_OF: Record<string, string> = {
  emailRecipients: 'emailRecipients',
  notify: 'notify',
  severities: 'severities',
  webhookUrl: 'webhookUrl',
  staleHours: 'staleHours',
};

/** The states a vault's notifications can be saved in. */
const STATES = ['Creating', 'Active'] as const;

/** A webhook's signing secret: shown once, when its URL is saved. */
function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64url')}`;
}

export type SavedAlertSettings = { webhookSecret?: string };

export const saveAlertSettings = actionOf(saveAlertSettingsOrThrow);

/**
 * CONFIGURE's "Alert notifications", saved with the page's SAVE. A new or changed webhook URL gets a new secret,
 * answered once (the page shows it, and never again); removing the URL removes its secret. The settings' time starts
 * the hourly digests afresh, so a digest never holds alerts raised before its recipients chose it.
 */
export async function saveAlertSettingsOrThrow(
  svc: Services,
  user: PortalUser,
  input: unknown,
): Promise<ActionDone<SavedAlertSettings>> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const fieldErrors: Record<string, string> = {};
    for (const issue of parsed.error.issues) {
      const field = FIELD_OF[String(issue.path[0])] ?? 'form';
      fieldErrors[field] ??= issue.message;
    }
    throw fieldRefusal('invalid', fieldErrors);
  }
  const { vaultId, emailRecipients, notify, severities, webhookUrl, staleHours } = parsed.data;
  const { vault } = await vaultAccessOrThrow(svc.db, user, vaultId, 'write', { states: STATES });
  const ordered = ALERT_SEVERITIES.filter((s) => severities.includes(s));
  const url = webhookUrl === '' ? null : webhookUrl;

  return withTransaction(svc.pool, async (tx) => {
    const [current] = await tx
      .select({ url: vaults.alertWebhookUrl })
      .from(vaults)
      .where(eq(vaults.id, vault.id))
      .for('update');
    if (!current) throw new PortalError('conflict', vaultNotReady({ name: vault.name, status: 'Deleting' }));
    const secret = url === null ? null : url !== current.url ? newWebhookSecret() : undefined;
    const [saved] = await tx
      .update(vaults)
      .set({
        alertEmailRecipients: emailRecipients.join(', '),
        alertNotify: notify,
        alertSeverities: ordered,
        alertWebhookUrl: url,
        ...(secret !== undefined ? { alertWebhookSecret: secret } : {}),
        alertStaleHours: staleHours,
        alertSettingsAt: sql`portal_now()`,
        updatedAt: sql`portal_now()`,
      })
      .where(and(eq(vaults.id, vault.id), inArray(vaults.status, [...STATES])))
      .returning({ id: vaults.id });
    if (!saved) throw new PortalError('conflict', vaultNotReady({ name: vault.name, status: 'Deleting' }));
    await recordFinishedOperation(tx, {
      userId: user.id,
      subscriptionId: vault.subscriptionId,
      vaultId: vault.id,
      vaultName: vault.name,
      kind: 'ConfigureVault',
      message: `The alert notifications of backup vault '${vault.name}' were saved.`,
    });
    return { ok: true, data: secret ? { webhookSecret: secret } : {} };
  });
}
