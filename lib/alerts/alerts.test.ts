import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stopProtection } from '@/lib/backups/portal';
import { type Machine, registeredMachine, routeFetch } from '@/testing/backups';
import { eventually, startSmtpReceiver, startWebhookReceiver } from '@/testing/receivers';
import { createTestUser, type TestServices, testServices } from '@/testing/services';
import { deliverDue, type Mailer, smtpMailer, startAlertDeliveries, webhookSignature } from './deliver';
import { queueDigests, raiseAlert, raiseStaleAlerts } from './raise';
import { resolveAlertsOrThrow } from './resolve';
import { saveAlertSettingsOrThrow } from './settings';

let svc: TestServices;

beforeAll(async () => {
  svc = await testServices();
});
afterAll(async () => {
  await svc.close();
});
// Tests that move the portal's clock put it back, also when they fail (the agent signs its calls with real time).
afterEach(() => svc.clock.setOffset(0));

/** A machine whose backups fail at the commit while `failing.on` is set (a refusal the agent does not repeat). */
async function machineWithFaults(name = 'FILESERVER01') {
  const failing = { on: false };
  const { fetch } = routeFetch((request) =>
    failing.on && new URL(request.url).pathname.endsWith('/commit')
      ? Response.json({ error: { code: 'bad_request', message: 'the disk said no' } }, { status: 400 })
      : undefined,
  );
  const machine = await registeredMachine(svc, { fetch, name });
  return { machine, failing };
}

async function protectedFolder(machine: Machine, name = 'data') {
  const folder = path.join(machine.work, name);
  await mkdir(folder, { recursive: true });
  await writeFile(path.join(folder, 'a.txt'), `hello ${name}\n`);
  expect((await machine.agent('protect', '--path', folder)).code).toBe(0);
  return folder;
}

async function alertsOf(vaultId: string) {
  const { rows } = await svc.pool.query(
    `select kind, severity, status, count, item_name, server_name, detail, created_at, latest_at, resolved_at
       from alerts where vault_id = $1 order by created_at, kind`,
    [vaultId],
  );
  return rows;
}

async function settings(machine: Machine, values: Partial<Record<string, unknown>> = {}) {
  return saveAlertSettingsOrThrow(svc, machine.user, {
    vaultId: machine.vaultId,
    emailRecipients: '',
    notify: 'PerAlert',
    severities: ['Critical', 'Warning'],
    webhookUrl: '',
    staleHours: '48',
    ...values,
  });
}

describe('alerts', () => {
  it('a failed backup raises one Critical alert at once; a repeat counts; the next good backup resolves it', async () => {
    const { machine, failing } = await machineWithFaults();
    const folder = await protectedFolder(machine);
    failing.on = true;
    expect((await machine.agent('backup')).code).not.toBe(0);
    const [job] = (
      await svc.pool.query(`select ended_at from operations where vault_id = $1 and kind = 'Backup'`, [machine.vaultId])
    ).rows;
    let [alert] = await alertsOf(machine.vaultId);
    expect(alert).toMatchObject({
      kind: 'BackupFailure',
      severity: 'Critical',
      status: 'Active',
      count: 1,
      item_name: folder,
      server_name: 'FILESERVER01',
    });
    expect(alert.detail).toContain('the disk said no');
    // Raised by the statement that recorded the failure: well within 5 s of it.
    expect(Math.abs(alert.created_at.getTime() - job.ended_at.getTime())).toBeLessThan(5000);

    expect((await machine.agent('backup')).code).not.toBe(0);
    const alerts = await alertsOf(machine.vaultId);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ status: 'Active', count: 2 });
    expect(alerts[0].latest_at.getTime()).toBeGreaterThan(alerts[0].created_at.getTime());

    failing.on = false;
    expect((await machine.agent('backup')).code).toBe(0);
    [alert] = await alertsOf(machine.vaultId);
    expect(alert).toMatchObject({ status: 'Resolved', count: 2 });
    expect(alert.resolved_at).not.toBeNull();
    await machine.remove();
  });

  it('emails each new alert to the vault’s recipients through a real SMTP server, and calls the signed webhook', async () => {
    const smtp = await startSmtpReceiver();
    const hook = await startWebhookReceiver();
    const stop = startAlertDeliveries(svc, { pollMs: 200, mailer: smtpMailer(smtp.url) });
    try {
      const { machine, failing } = await machineWithFaults('MAILSERVER');
      const folder = await protectedFolder(machine);
      const saved = await settings(machine, {
        emailRecipients: 'ops@example.com, oncall@example.com',
        webhookUrl: hook.url,
      });
      const secret = saved.data.webhookSecret!;
      expect(secret).toMatch(/^whsec_/);
      failing.on = true;
      expect((await machine.agent('backup')).code).not.toBe(0);
      const failedAt = Date.now();
      const mail = await eventually(() => smtp.messages[0], 10_000, 'the alert email');
      expect(Date.now() - failedAt).toBeLessThan(10_000);
      expect(mail.to).toEqual(['ops@example.com', 'oncall@example.com']);
      expect(mail.subject).toContain('[Critical] Backup failure');
      expect(mail.text).toContain(`Backup item: ${folder}`);
      expect(mail.text).toContain('Protected server: MAILSERVER');

      const call = await eventually(() => hook.calls[0], 10_000, 'the webhook call');
      expect(call.headers['x-portal-signature']).toBe(webhookSignature(secret, call.body));
      const body = JSON.parse(call.body);
      expect(body).toMatchObject({ alert: 'Backup failure', severity: 'Critical', backupItem: folder, count: 1 });

      // A repeat of the same alert is counted, not sent again.
      expect((await machine.agent('backup')).code).not.toBe(0);
      await new Promise((r) => setTimeout(r, 1000));
      expect(smtp.messages).toHaveLength(1);
      expect(hook.calls).toHaveLength(1);

      const { rows: logs } = await svc.pool.query(
        `select operation, status, actor from operation_logs where vault_id = $1 and category = 'Alerts' order by seq`,
        [machine.vaultId],
      );
      expect(logs).toEqual(
        expect.arrayContaining([
          { operation: 'Send alert email', status: 'Succeeded', actor: 'portal' },
          { operation: 'Call alert webhook', status: 'Succeeded', actor: 'portal' },
        ]),
      );
      await machine.remove();
    } finally {
      await stop();
      await smtp.close();
      await hook.close();
    }
  });

  it('a webhook that never answers holds up no backup: the next backups run while its call hangs', async () => {
    const hanging: import('node:http').ServerResponse[] = [];
    const { createServer } = await import('node:http');
    const server = createServer((_request, response) => hanging.push(response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const port = (server.address() as import('node:net').AddressInfo).port;
    const stop = startAlertDeliveries(svc, { pollMs: 100, mailer: null });
    try {
      const { machine, failing } = await machineWithFaults('HANGING');
      await protectedFolder(machine);
      await settings(machine, { webhookUrl: `http://127.0.0.1:${port}/never` });
      failing.on = true;
      expect((await machine.agent('backup')).code).not.toBe(0);
      await eventually(() => hanging.length > 0 || undefined, 10_000, 'the webhook call');
      // The call is in flight and unanswered: backups go on as usual, and resolve the alert.
      failing.on = false;
      expect((await machine.agent('backup')).code).toBe(0);
      expect((await machine.agent('backup')).code).toBe(0);
      expect(hanging.length).toBe(1);
      expect((await alertsOf(machine.vaultId))[0]).toMatchObject({ kind: 'BackupFailure', status: 'Resolved' });
      const [delivery] = (
        await svc.pool.query(`select state, attempts from alert_deliveries where vault_id = $1`, [machine.vaultId])
      ).rows;
      expect(delivery).toMatchObject({ state: 'pending', attempts: 1 });
      await machine.remove();
    } finally {
      for (const response of hanging) response.destroy();
      await stop();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('with the mail server down for an hour, no alert is lost: all are delivered once it is back', async () => {
    const smtp = await startSmtpReceiver();
    await smtp.stop();
    const mailer: Mailer = smtpMailer(smtp.url);
    const mine = () => smtp.messages.filter((m) => m.to.includes('down@example.com'));
    const machines = [];
    for (const name of ['DOWN1', 'DOWN2', 'DOWN3']) {
      const { machine, failing } = await machineWithFaults(name);
      await protectedFolder(machine);
      await settings(machine, { emailRecipients: 'down@example.com' });
      failing.on = true;
      expect((await machine.agent('backup')).code).not.toBe(0);
      machines.push(machine);
    }
    const vaultIds = machines.map((m) => m.vaultId);
    const pending = async () =>
      (
        await svc.pool.query(
          `select state, attempts, last_error from alert_deliveries where vault_id = any($1::uuid[])`,
          [vaultIds],
        )
      ).rows;
    // Tries while it is down fail and are kept for later, with backoff.
    while ((await deliverDue(svc, mailer)) > 0) {}
    for (const row of await pending()) {
      expect(row.state).toBe('pending');
      expect(row.attempts).toBe(1);
      expect(row.last_error).toBeTruthy();
    }
    const offset = svc.clock.offsetMs();
    for (let minutes = 10; minutes <= 60; minutes += 10) {
      await svc.clock.setOffset(offset + minutes * 60_000);
      while ((await deliverDue(svc, mailer)) > 0) {}
    }
    expect(mine()).toHaveLength(0);
    for (const row of await pending()) expect(row.state).toBe('pending');

    await smtp.start();
    await svc.clock.setOffset(offset + 75 * 60_000);
    while ((await deliverDue(svc, mailer)) > 0) {}
    expect(mine()).toHaveLength(3);
    expect(new Set(mine().map((m) => m.text.match(/Protected server: (\w+)/)?.[1]))).toEqual(
      new Set(['DOWN1', 'DOWN2', 'DOWN3']),
    );
    for (const row of await pending()) expect(row.state).toBe('sent');
    while ((await deliverDue(svc, mailer)) > 0) {}
    expect(mine()).toHaveLength(3);
    await svc.clock.setOffset(offset);
    for (const m of machines) await m.remove();
    await smtp.close();
  });

  it('an hourly digest holds every alert of its hour once', async () => {
    const smtp = await startSmtpReceiver();
    const mailer = smtpMailer(smtp.url);
    const mine = () => smtp.messages.filter((m) => m.to.includes('digest@example.com'));
    const { machine } = await machineWithFaults('DIGEST');
    await settings(machine, { emailRecipients: 'digest@example.com', notify: 'HourlyDigest' });
    // Five minutes into the next hour, so the alerts below are all raised within one hour. The agent signs its calls
    // with the machine's real time, so with the clock moved the alerts are raised as the portal raises them (the
    // path from a failed job to an alert is the tests' above).
    const offset = svc.clock.offsetMs();
    const now = svc.clock.nowMs();
    const hourStart = Math.ceil(now / 3600_000) * 3600_000;
    await svc.clock.setOffset(offset + (hourStart + 5 * 60_000 - now));
    const folders = ['/srv/one', '/srv/two', '/srv/three'];
    for (const folder of folders) {
      await raiseAlert(
        svc.db,
        { vaultId: machine.vaultId, itemId: randomUUID(), itemName: folder, serverId: null, serverName: 'DIGEST' },
        'BackupFailure',
        'The backup failed.',
      );
    }
    expect((await alertsOf(machine.vaultId)).filter((a) => a.kind === 'BackupFailure')).toHaveLength(3);
    // Per-alert emails are not sent in digest mode; the hour is not over yet.
    await queueDigests(svc);
    while ((await deliverDue(svc, mailer)) > 0) {}
    expect(mine()).toHaveLength(0);

    await svc.clock.setOffset(offset + (hourStart + 65 * 60_000 - now));
    await queueDigests(svc);
    await queueDigests(svc);
    while ((await deliverDue(svc, mailer)) > 0) {}
    expect(mine()).toHaveLength(1);
    const [digest] = mine();
    expect(digest!.subject).toContain('3 alerts');
    for (const folder of folders) {
      expect(digest!.text.split(`Backup item: ${folder}\n`).length - 1).toBe(1);
    }
    await queueDigests(svc);
    while ((await deliverDue(svc, mailer)) > 0) {}
    expect(mine()).toHaveLength(1);
    await svc.clock.setOffset(offset);
    await machine.remove();
    await smtp.close();
  });

  it('No recent backup: raised once when the clock passes the vault’s threshold, resolved by the next backup', async () => {
    const { machine } = await machineWithFaults('STALE');
    const folder = await protectedFolder(machine);
    expect((await machine.agent('backup')).code).toBe(0);
    await settings(machine, { staleHours: '24' });
    const offset = svc.clock.offsetMs();
    const stale = async () => (await alertsOf(machine.vaultId)).filter((a) => a.kind === 'NoRecentBackup');

    await svc.clock.setOffset(offset + 23 * 3600_000);
    await raiseStaleAlerts(svc);
    expect(await stale()).toHaveLength(0);

    await svc.clock.setOffset(offset + 25 * 3600_000);
    await raiseStaleAlerts(svc);
    await raiseStaleAlerts(svc);
    const [alert] = await stale();
    expect(alert).toMatchObject({ status: 'Active', count: 1, item_name: folder, severity: 'Critical' });
    expect(alert.detail).toContain('No recovery point for more than 24 hours');

    // The agent signs its calls with the machine's real time: back to it for the backup, which resolves the alert.
    await svc.clock.setOffset(offset);
    expect((await machine.agent('backup')).code).toBe(0);
    expect(await stale()).toEqual([expect.objectContaining({ status: 'Resolved' })]);
    await machine.remove();
  });

  it('RESOLVE: a Contributor resolves an Active alert of the vault, a Reader may not, other vaults are untouched', async () => {
    const { machine, failing } = await machineWithFaults('RESOLVE');
    await protectedFolder(machine);
    failing.on = true;
    await machine.agent('backup');
    const { rows } = await svc.pool.query(`select id from alerts where vault_id = $1`, [machine.vaultId]);
    const alertId = rows[0].id;
    const subscription = machine.user.subscriptions[0]!;
    const reader = await createTestUser(svc, {
      role: 'Reader',
      subscriptions: [{ id: subscription.id, displayName: subscription.displayName }],
    });
    await expect(
      resolveAlertsOrThrow(svc, reader, { vaultId: machine.vaultId, alertIds: [alertId] }),
    ).rejects.toMatchObject({
      code: 'forbidden',
    });
    const stranger = await createTestUser(svc);
    await expect(
      resolveAlertsOrThrow(svc, stranger, { vaultId: machine.vaultId, alertIds: [alertId] }),
    ).rejects.toMatchObject({
      code: 'not_found',
    });
    const contributor = await createTestUser(svc, {
      role: 'Contributor',
      subscriptions: [{ id: subscription.id, displayName: subscription.displayName }],
    });
    const done = await resolveAlertsOrThrow(svc, contributor, { vaultId: machine.vaultId, alertIds: [alertId] });
    expect(done.data.resolved).toBe(1);
    expect((await alertsOf(machine.vaultId))[0]).toMatchObject({ status: 'Resolved' });
    await expect(
      resolveAlertsOrThrow(svc, contributor, { vaultId: machine.vaultId, alertIds: [alertId] }),
    ).rejects.toMatchObject({
      code: 'conflict',
    });
    const { rows: logs } = await svc.pool.query(
      `select operation, actor from operation_logs where vault_id = $1 and category = 'Alerts'`,
      [machine.vaultId],
    );
    expect(logs).toEqual([{ operation: 'Resolve alert', actor: contributor.email }]);
    // The next failure is a new alert (the resolved one stays resolved).
    await machine.agent('backup');
    expect((await alertsOf(machine.vaultId)).map((a) => a.status)).toEqual(['Resolved', 'Active']);
    await machine.remove();
  });

  it('STOP PROTECTION with its data raises Backup data deleted', async () => {
    const { machine } = await machineWithFaults('DELETED');
    const folder = await protectedFolder(machine);
    expect((await machine.agent('backup')).code).toBe(0);
    const { rows } = await svc.pool.query(`select id from protected_items where path = $1`, [folder]);
    expect((await stopProtection(svc, machine.user, { itemId: rows[0].id, deleteData: true })).ok).toBe(true);
    const alerts = await alertsOf(machine.vaultId);
    expect(alerts).toEqual([
      expect.objectContaining({ kind: 'BackupDataDeleted', severity: 'Critical', item_name: folder, status: 'Active' }),
    ]);
    expect(alerts[0].detail).toContain(machine.user.email);
    await machine.remove();
  });

  it('restore jobs: a failed restore raises Restore failure, a successful one resolves it', async () => {
    const { machine } = await machineWithFaults('RESTORER');
    const folder = await protectedFolder(machine);
    expect((await machine.agent('backup')).code).toBe(0);
    const { rows } = await svc.pool.query(
      `select i.id, i.server_id, v.subscription_id from protected_items i join vaults v on v.id = i.vault_id where i.path = $1`,
      [folder],
    );
    const item = rows[0];
    const job = async (status: 'Failed' | 'Succeeded') => {
      const { rows: made } = await svc.pool.query(
        `insert into operations (subscription_id, vault_id, vault_name, kind, message, item_id, item_name, server_id, server_name)
         values ($1, $2, 'v', 'Restore', 'Restoring', $3, $4, $5, 'RESTORER') returning id`,
        [item.subscription_id, machine.vaultId, item.id, folder, item.server_id],
      );
      await svc.pool.query(`update operations set status = $2, message = $3, ended_at = portal_now() where id = $1`, [
        made[0].id,
        status,
        status === 'Failed' ? 'The restore failed: no space left on the target.' : 'Restored.',
      ]);
    };
    await job('Failed');
    expect(await alertsOf(machine.vaultId)).toEqual([
      expect.objectContaining({
        kind: 'RestoreFailure',
        status: 'Active',
        detail: 'The restore failed: no space left on the target.',
      }),
    ]);
    await job('Succeeded');
    expect(await alertsOf(machine.vaultId)).toEqual([
      expect.objectContaining({ kind: 'RestoreFailure', status: 'Resolved' }),
    ]);
    await machine.remove();
  });
});

describe('alert notification settings', () => {
  it('refuses bad input with a clear message per field and changes nothing', async () => {
    const user = await createTestUser(svc);
    const machine = await registeredMachine(svc, { user, name: 'SETTINGS' });
    const before = (await svc.pool.query(`select * from vaults where id = $1`, [machine.vaultId])).rows[0];
    const cases: [Record<string, unknown>, string, string][] = [
      [{ emailRecipients: 'ops@example.com, not-an-address' }, 'emailRecipients', 'Enter email addresses'],
      [{ webhookUrl: 'http://hooks.example.com/x' }, 'webhookUrl', 'https://'],
      [{ webhookUrl: 'ftp://127.0.0.1/x' }, 'webhookUrl', 'https://'],
      [{ staleHours: '0' }, 'staleHours', 'from 1 to 720'],
      [{ staleHours: '721' }, 'staleHours', 'from 1 to 720'],
      [{ staleHours: '2.5' }, 'staleHours', 'whole number'],
      [{ notify: 'Weekly' }, 'notify', 'Per alert or Hourly digest'],
      [{ severities: ['Info'] }, 'severities', 'Critical, Warning'],
    ];
    for (const [values, field, text] of cases) {
      const refusal = await settings(machine, values).then(
        () => undefined,
        (err) => err,
      );
      expect(refusal?.fieldErrors?.[field], JSON.stringify(values)).toContain(text);
    }
    const after = (await svc.pool.query(`select * from vaults where id = $1`, [machine.vaultId])).rows[0];
    expect(after).toEqual(before);
    await machine.remove();
  });

  it('a webhook secret is made when the URL is set or changed, answered once, and removed with the URL', async () => {
    const machine = await registeredMachine(svc, { name: 'SECRET' });
    const first = await settings(machine, { webhookUrl: 'https://hooks.example.com/a' });
    expect(first.data.webhookSecret).toMatch(/^whsec_[A-Za-z0-9_-]{32}$/);
    const again = await settings(machine, { webhookUrl: 'https://hooks.example.com/a', staleHours: '12' });
    expect(again.data.webhookSecret).toBeUndefined();
    const changed = await settings(machine, { webhookUrl: 'http://localhost:9000/b' });
    expect(changed.data.webhookSecret).toMatch(/^whsec_/);
    expect(changed.data.webhookSecret).not.toBe(first.data.webhookSecret);
    const stored = async () =>
      (
        await svc.pool.query(`select alert_webhook_url, alert_webhook_secret from vaults where id = $1`, [
          machine.vaultId,
        ])
      ).rows[0];
    expect(await stored()).toEqual({
      alert_webhook_url: 'http://localhost:9000/b',
      alert_webhook_secret: changed.data.webhookSecret,
    });
    await settings(machine, { webhookUrl: '' });
    expect(await stored()).toEqual({ alert_webhook_url: null, alert_webhook_secret: null });
    await machine.remove();
  });
});
