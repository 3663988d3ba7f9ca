import 'server-only';
import { createHmac } from 'node:crypto';
import nodemailer from 'nodemailer';
import { withTransaction } from '@/db/client';
import { logChange } from '@/lib/audit/log';
import { startPolling } from '@/lib/queues/polling';
import type { Services } from '@/lib/services';
import { ALERT_KINDS, type AlertKind, type AlertSeverity } from './kinds';

/** How long one attempt may take: a dead mail server or webhook costs a worker this, never a backup or a page. */
const ATTEMPT_TIMEOUT_MS = 10_000;
/** A claimed delivery whose worker died is tried again after this. */
const LEASE_SECONDS = 120;
/** Retries back off from 15 s, doubling, up to 10 minutes between tries; after 24 hours of trying, it is given up. */
const FIRST_RETRY_SECONDS = 15;
const MAX_RETRY_SECONDS = 600;
const GIVE_UP_HOURS = 24;
const CLAIM_BATCH = 10;

export const DEFAULT_ALERTS_FROM = 'Backup vault portal <alerts@localhost>';

/** Seconds before the next try after `attempts` failed ones. */
export function retryDelaySeconds(attempts: number): number {
  return Math.min(MAX_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2 ** Math.max(0, attempts - 1));
}

type Claimed = {
  id: string;
  vault_id: string;
  alert_id: string | null;
  digest_hour: Date | null;
  channel: 'email' | 'webhook';
  attempts: number;
  expired: boolean;
};

type VaultTarget = {
  id: string;
  name: string;
  subscription_id: string;
  alert_email_recipients: string;
  alert_webhook_url: string | null;
  alert_webhook_secret: string | null;
  alert_severities: string;
  alert_settings_at: Date;
};

type AlertJson = {
  id: string;
  kind: AlertKind;
  severity: AlertSeverity;
  status: 'Active' | 'Resolved';
  item_name: string;
  server_name: string;
  count: number;
  detail: string;
  created_at: Date;
  latest_at: Date;
};

/** The alert as a webhook receives it (and as an email tells it). */
export function alertPayload(vault: { id: string; name: string }, alert: AlertJson, origin: string) {
  return {
    id: alert.id,
    alert: ALERT_KINDS[alert.kind].label,
    kind: alert.kind,
    severity: alert.severity,
    status: alert.status,
    vault: { id: vault.id, name: vault.name },
    backupItem: alert.item_name,
    protectedServer: alert.server_name,
    count: alert.count,
    detail: alert.detail,
    createdAt: alert.created_at.toISOString(),
    latestOccurrenceAt: alert.latest_at.toISOString(),
    url: `${origin}/recovery-services/vaults/${vault.id}/alerts`,
  };
}

/** `X-Portal-Signature`'s value: HMAC-SHA-256 of the exact body under the vault's webhook secret. */
export function webhookSignature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

function alertText(payload: ReturnType<typeof alertPayload>): string {
  return [
    `Alert: ${payload.alert}`,
    `Severity: ${payload.severity}`,
    `Vault: ${payload.vault.name}`,
    `Backup item: ${payload.backupItem}`,
    `Protected server: ${payload.protectedServer}`,
    `Created: ${payload.createdAt}`,
    `Latest occurrence: ${payload.latestOccurrenceAt} (${payload.count} ${payload.count === 1 ? 'occurrence' : 'occurrences'})`,
    payload.detail ? `Details: ${payload.detail}` : '',
  ]
    .filter(Boolean)
    .join('\n');
}

export type Mailer = { send: (message: { from: string; to: string; subject: string; text: string }) => Promise<void> };

/** Email through SMTP_URL (nodemailer), each attempt bounded in time. */
export function smtpMailer(url: string): Mailer {
  const transport = nodemailer.createTransport({
    url,
    connectionTimeout: ATTEMPT_TIMEOUT_MS,
    greetingTimeout: ATTEMPT_TIMEOUT_MS,
    socketTimeout: ATTEMPT_TIMEOUT_MS,
  } as nodemailer.TransportOptions);
  return {
    send: async (message) => {
      await transport.sendMail(message);
    },
  };
}

type Outcome = { ok: true; summary: string } | { ok: false; error: string; final?: boolean };

/**
 * Makes the deliveries that are due: claims up to CLAIM_BATCH (for update skip locked, so any number of workers
 * share them, each claim a lease that a killed worker's delivery outlives), sends them at once, and records each:
 * sent, retried later with backoff, or given up. A sent or given-up delivery is an entry in the operation logs.
 * Answers how many were claimed.
 */
export async function deliverDue(svc: Services, mailer: Mailer | null): Promise<number> {
  const { rows } = await svc.pool.query<Claimed>(
    `update alert_deliveries d
        set attempts = d.attempts + 1, next_attempt_at = portal_now() + make_interval(secs => $2)
      where d.id in (select id from alert_deliveries
                      where state = 'pending' and next_attempt_at <= portal_now()
                      order by next_attempt_at limit $1 for update skip locked)
      returning d.id, d.vault_id, d.alert_id, d.digest_hour, d.channel, d.attempts,
                d.created_at < portal_now() - make_interval(hours => $3) as expired`,
    [CLAIM_BATCH, LEASE_SECONDS, GIVE_UP_HOURS],
  );
  await Promise.all(rows.map((row) => deliverOne(svc, mailer, row)));
  return rows.length;
}

async function deliverOne(svc: Services, mailer: Mailer | null, delivery: Claimed): Promise<void> {
  let outcome: Outcome;
  let vault: VaultTarget | undefined;
  let what = '';
  try {
    vault = (
      await svc.pool.query<VaultTarget>(
        `select id, name, subscription_id, alert_email_recipients, alert_webhook_url, alert_webhook_secret,
                alert_severities::text, alert_settings_at from vaults where id = $1`,
        [delivery.vault_id],
      )
    ).rows[0];
    if (!vault) return; // The vault is gone, and its deliveries with it.
    const built = await compose(svc, vault, delivery);
    what = built.what;
    outcome = built.skip
      ? { ok: false, error: built.skip, final: true }
      : await send(svc, mailer, vault, delivery, built);
  } catch (err) {
    outcome = { ok: false, error: (err as Error).message || String(err) };
  }
  await record(svc, delivery, vault, what, outcome);
}

type Composed = { what: string; skip?: string; subject: string; text: string; json?: string };

async function compose(svc: Services, vault: VaultTarget, delivery: Claimed): Promise<Composed> {
  const origin = svc.env.portalOrigin;
  if (delivery.alert_id) {
    const { rows } = await svc.pool.query<AlertJson>(
      `select id, kind, severity, status, item_name, server_name, count, detail, created_at, latest_at
         from alerts where id = $1`,
      [delivery.alert_id],
    );
    const alert = rows[0]!;
    const payload = alertPayload(vault, alert, origin);
    return {
      what: `${payload.alert}: ${payload.backupItem} on ${payload.protectedServer}`,
      subject: `[${payload.severity}] ${payload.alert}: ${payload.backupItem} on ${payload.protectedServer} (vault ${vault.name})`,
      text: `${alertText(payload)}\n\nThe vault's alerts: ${payload.url}\n`,
      json: JSON.stringify(payload),
    };
  }
  const hour = delivery.digest_hour!;
  const { rows } = await svc.pool.query<AlertJson>(
    `select id, kind, severity, status, item_name, server_name, count, detail, created_at, latest_at
       from alerts
      where vault_id = $1 and created_at >= $2 and created_at < $2::timestamptz + interval '1 hour'
        and created_at >= $3 and severity::text = any($4::text[])
      order by created_at, id`,
    [vault.id, hour, vault.alert_settings_at, vault.alert_severities],
  );
  const end = new Date(hour.getTime() + 3600_000);
  const span = `${hour.toISOString().slice(0, 13)}:00-${end.toISOString().slice(11, 13)}:00 UTC`;
  const payloads = rows.map((alert) => alertPayload(vault, alert, origin));
  return {
    what: `Hourly digest ${span}`,
    skip: rows.length === 0 ? 'The hour has no alerts of the severities the vault notifies now.' : undefined,
    subject: `Backup alerts digest: ${rows.length} ${rows.length === 1 ? 'alert' : 'alerts'} in vault ${vault.name}, ${span}`,
    text: `${payloads.map(alertText).join('\n\n')}\n\nThe vault's alerts: ${origin}/recovery-services/vaults/${vault.id}/alerts\n`,
  };
}

async function send(
  svc: Services,
  mailer: Mailer | null,
  vault: VaultTarget,
  delivery: Claimed,
  message: Composed,
): Promise<Outcome> {
  if (delivery.channel === 'email') {
    const to = vault.alert_email_recipients.trim();
    if (!to) return { ok: false, error: 'The vault has no email recipients now.', final: true };
    if (!mailer) return { ok: false, error: 'Email is not set up on this portal (SMTP_URL).', final: true };
    await mailer.send({
      from: svc.env.ALERTS_FROM ?? DEFAULT_ALERTS_FROM,
      to,
      subject: message.subject,
      text: message.text,
    });
    return { ok: true, summary: `Email to ${to}` };
  }
  const url = vault.alert_webhook_url;
  if (!url || !vault.alert_webhook_secret || !message.json) {
    return { ok: false, error: 'The vault has no webhook now.', final: true };
  }
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'user-agent': 'backup-vault-portal-alerts',
      'x-portal-delivery': delivery.id,
      'x-portal-signature': webhookSignature(vault.alert_webhook_secret, message.json),
    },
    body: message.json,
    redirect: 'manual',
    signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
  });
  await response.body?.cancel().catch(() => {});
  if (response.status >= 200 && response.status < 300) return { ok: true, summary: `Webhook ${new URL(url).host}` };
  return { ok: false, error: `The webhook answered ${response.status}.` };
}

async function record(
  svc: Services,
  delivery: Claimed,
  vault: VaultTarget | undefined,
  what: string,
  outcome: Outcome,
): Promise<void> {
  await withTransaction(svc.pool, async (tx, client) => {
    if (outcome.ok) {
      await client.query(
        `update alert_deliveries set state = 'sent', sent_at = portal_now(), last_error = null where id = $1`,
        [delivery.id],
      );
    } else if (outcome.final || delivery.expired) {
      await client.query(`update alert_deliveries set state = 'failed', last_error = $2 where id = $1`, [
        delivery.id,
        outcome.error,
      ]);
    } else {
      await client.query(
        `update alert_deliveries set last_error = $2, next_attempt_at = portal_now() + make_interval(secs => $3)
          where id = $1`,
        [delivery.id, outcome.error, retryDelaySeconds(delivery.attempts)],
      );
    }
    if (!(outcome.ok || outcome.final || delivery.expired) || !vault) return;
    await logChange(tx, {
      actor: { id: null, email: 'portal' },
      subscriptionId: vault.subscription_id,
      vault: { id: vault.id, name: vault.name },
      category: 'Alerts',
      operation: delivery.channel === 'email' ? 'Send alert email' : 'Call alert webhook',
      target: what || null,
      status: outcome.ok ? 'Succeeded' : 'Failed',
      detail: outcome.ok
        ? `${outcome.summary} (attempt ${delivery.attempts}).`
        : `Given up after ${delivery.attempts} ${delivery.attempts === 1 ? 'attempt' : 'attempts'}: ${outcome.error}`,
    });
  });
}

/**
 * The notifications' worker: makes due deliveries every `pollMs` (a claim is one indexed probe when none is due).
 * Answers a stop function.
 */
export function startAlertDeliveries(svc: Services, options: { pollMs?: number; mailer?: Mailer | null } = {}) {
  const mailer = options.mailer !== undefined ? options.mailer : svc.env.SMTP_URL ? smtpMailer(svc.env.SMTP_URL) : null;
  return startPolling('alert deliveries', options.pollMs ?? 1000, async (stopped) => {
    // A full batch: more may be due at once.
    while (!stopped() && (await deliverDue(svc, mailer)) === CLAIM_BATCH) {}
  });
}
