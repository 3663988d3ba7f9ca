import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { AgentContext } from './io';
import { registeredState } from './machine';
import { systemdSettings } from './settings';

export const SERVICE_NAME = 'recovery-services-agent';
export const UNIT_NAME = `${SERVICE_NAME}.service`;
export const NO_SYSTEMD = `systemd is not running on this machine: run 'recovery-services-agent run' under your service manager (see --print for a unit).`;

export type ServiceOptions = {
  stateDir: string;
  /** The Node.js program and the agent's file the service runs; the running ones by default. */
  node?: string;
  agentFile?: string;
};

/**
 * The systemd unit that runs `run` with this state directory, as the state directory's owner (root needs no User=),
 * once the network is up; restarted when it fails. systemd stops it with SIGTERM, on which the agent ends its work
 * cleanly (agent/main.ts).
 */
export async function serviceUnit(options: ServiceOptions): Promise<string> {
  const stateDir = path.resolve(options.stateDir);
  const node = path.resolve(options.node ?? process.execPath);
  const agentFile = path.resolve(options.agentFile ?? process.argv[1] ?? 'recovery-services-agent.mjs');
  const user = await ownerOf(stateDir);
  return [
    '[Unit]',
    'Description=Recovery Services Agent: backups to the vault this machine is registered to',
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    ...(user === null ? [] : [`User=${user}`]),
    `WorkingDirectory=${stateDir.replace(/%/g, '%%')}`,
    `ExecStart=${[node, agentFile, 'run', '--state-dir', stateDir].map(quoted).join(' ')}`,
    'Restart=on-failure',
    'RestartSec=30',
    'KillSignal=SIGTERM',
    'TimeoutStopSec=90',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

/** `install-service`: writes the unit, reloads systemd, enables and starts the service; `--print` only prints it. */
export async function installService(options: ServiceOptions & { print: boolean }, ctx: AgentContext): Promise<void> {
  const unit = await serviceUnit(options);
  if (options.print) {
    ctx.stdout.write(unit);
    return;
  }
  const settings = systemdSettings(ctx.env);
  await requireSystemd(settings);
  // A service for a state directory that never registered would only fail and restart.
  await registeredState(options.stateDir);
  const file = path.join(settings.unitDir, UNIT_NAME);
  const temporary = path.join(settings.unitDir, `.${UNIT_NAME}.${process.pid}.tmp`);
  try {
    await writeFile(temporary, unit, { mode: 0o644 });
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(
      `Could not write ${file}: ${code === 'EACCES' || code === 'EPERM' ? 'permission denied (run install-service as root)' : (error as Error).message}`,
    );
  }
  await systemctl(settings.systemctl, ['daemon-reload']);
  await systemctl(settings.systemctl, ['enable', '--now', UNIT_NAME]);
  ctx.stdout.write(
    `The service ${UNIT_NAME} is installed, enabled and started (${file}); read its log with journalctl -u ${SERVICE_NAME}.\n`,
  );
}

/** `uninstall-service`: stops and disables the service, removes its unit and reloads systemd. */
export async function uninstallService(ctx: AgentContext): Promise<void> {
  const settings = systemdSettings(ctx.env);
  await requireSystemd(settings);
  const file = path.join(settings.unitDir, UNIT_NAME);
  if (!existsSync(file)) {
    ctx.stdout.write(`The service ${UNIT_NAME} is not installed.\n`);
    return;
  }
  await systemctl(settings.systemctl, ['disable', '--now', UNIT_NAME]);
  try {
    await rm(file, { force: true });
  } catch (error) {
    throw new Error(`Could not remove ${file}: ${(error as Error).message}`);
  }
  await systemctl(settings.systemctl, ['daemon-reload']);
  ctx.stdout.write(`The service ${UNIT_NAME} is stopped, disabled and removed.\n`);
}

// sd_booted(3): systemd runs the machine when this folder exists; a systemctl that cannot be run says the same.
async function requireSystemd(settings: ReturnType<typeof systemdSettings>): Promise<void> {
  if (!existsSync(settings.runtimeDir)) throw new Error(NO_SYSTEMD);
  await systemctl(settings.systemctl, ['--version']);
}

function systemctl(program: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(program, args, { timeout: 120_000 }, (error, _stdout, stderr) => {
      if (!error) return resolve();
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return reject(new Error(NO_SYSTEMD));
      const reason = String(stderr).trim().split('\n')[0] || error.message;
      reject(new Error(`systemctl ${args.join(' ')} failed: ${reason}`));
    });
  });
}

/** The user name (or uid) owning the state directory, null for root; the running user when it does not exist yet. */
async function ownerOf(dir: string): Promise<string | null> {
  let uid: number;
  try {
    uid = (await stat(dir)).uid;
  } catch {
    uid = os.userInfo().uid;
  }
  if (uid === 0) return null;
  if (uid === os.userInfo().uid) return os.userInfo().username;
  try {
    const passwd = await readFile('/etc/passwd', 'utf8');
    const entry = passwd.split('\n').find((line) => line.split(':')[2] === String(uid));
    if (entry) return entry.split(':')[0]!;
  } catch {
    // No readable passwd: systemd takes a numeric uid as well.
  }
  return String(uid);
}

// systemd's unit syntax: an argument with spaces or quotes is double-quoted with C escapes; `%` is a specifier and `$`
// an environment variable in ExecStart, so both are doubled.
function quoted(value: string): string {
  const escaped = value.replace(/%/g, '%%').replace(/\$/g, '$$$$');
  return /[\s"'\\]/.test(escaped) ? `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : escaped;
}
