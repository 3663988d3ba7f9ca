import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REGISTERED, run, tempDir } from '@/testing/agent';
import { SYSTEMCTL_VARIABLE, SYSTEMD_RUNTIME_DIR_VARIABLE, SYSTEMD_UNIT_DIR_VARIABLE } from './settings';
import { writeState } from './state';
import { NO_SYSTEMD, UNIT_NAME } from './systemd';

let temp: Awaited<ReturnType<typeof tempDir>>;
let env: Record<string, string>;
let log: string;
let unitDir: string;
let stateDir: string;

/** A systemctl that records its arguments, one call a line, and fails `enable` when asked to. */
async function fakeSystemctl(failEnable = false): Promise<string> {
  const script = path.join(temp.dir, 'systemctl');
  await writeFile(
    script,
    `#!/bin/sh\necho "$*" >> '${log}'\n${failEnable ? `[ "$1" = enable ] && { echo 'Failed to enable unit: Access denied' >&2; echo 'second line' >&2; exit 1; }\n` : ''}exit 0\n`,
  );
  await chmod(script, 0o755);
  return script;
}

async function registeredStateDir(dir: string): Promise<void> {
  await writeState(dir, {
    portalUrl: 'https://backup.example.com',
    vaultId: REGISTERED.vaultId,
    vaultName: REGISTERED.vaultName,
    subscriptionId: '3f2504e0-4f89-11d3-9a0c-0305e82c3301',
    serverId: REGISTERED.serverId,
    machineName: REGISTERED.machineName,
    registeredAt: REGISTERED.registeredAt,
    machinePrivateKeyPem: 'unused',
    passphraseSalt: 'unused',
    passphraseCheck: 'unused',
  });
}

function expectedUnit(dir: string): string {
  const user = os.userInfo().uid === 0 ? [] : [`User=${os.userInfo().username}`];
  const quote = (value: string) => (/\s/.test(value) ? `"${value}"` : value);
  return [
    '[Unit]',
    'Description=Recovery Services Agent: backups to the vault this machine is registered to',
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    ...user,
    `WorkingDirectory=${dir}`,
    `ExecStart=${[process.execPath, path.resolve(process.argv[1]!), 'run', '--state-dir', dir].map(quote).join(' ')}`,
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

beforeEach(async () => {
  temp = await tempDir();
  log = path.join(temp.dir, 'systemctl.log');
  unitDir = path.join(temp.dir, 'units');
  await mkdir(unitDir);
  await mkdir(path.join(temp.dir, 'run-systemd'));
  stateDir = path.join(temp.dir, 'state dir');
  env = {
    [SYSTEMD_UNIT_DIR_VARIABLE]: unitDir,
    [SYSTEMD_RUNTIME_DIR_VARIABLE]: path.join(temp.dir, 'run-systemd'),
    [SYSTEMCTL_VARIABLE]: await fakeSystemctl(),
  };
});

afterEach(() => temp.remove());

const calls = async () => (await readFile(log, 'utf8').catch(() => '')).trim().split('\n').filter(Boolean);

describe('install-service and uninstall-service', () => {
  it('--print prints the unit (absolute paths, this state directory) and touches nothing', async () => {
    const relative = path.relative(process.cwd(), stateDir);
    const printed = await run(['install-service', '--print', '--state-dir', relative], { env });
    expect(printed).toEqual({ code: 0, stdout: expectedUnit(stateDir), stderr: '' });
    expect(printed.stdout).toContain(`--state-dir "${stateDir}"`);
    expect(await calls()).toEqual([]);
    // Even where systemd is absent: the unit is for another service manager's user to adapt.
    const noSystemd = { ...env, [SYSTEMD_RUNTIME_DIR_VARIABLE]: path.join(temp.dir, 'absent') };
    expect((await run(['install-service', '--print', '--state-dir', stateDir], { env: noSystemd })).code).toBe(0);
  });

  it('install writes, enables and starts the unit; uninstall stops, disables and removes it', async () => {
    await registeredStateDir(stateDir);
    const installed = await run(['install-service', '--state-dir', stateDir], { env });
    expect(installed.stderr).toBe('');
    expect(installed.code).toBe(0);
    expect(installed.stdout).toBe(
      `The service ${UNIT_NAME} is installed, enabled and started (${path.join(unitDir, UNIT_NAME)}); read its log with journalctl -u recovery-services-agent.\n`,
    );
    const file = path.join(unitDir, UNIT_NAME);
    expect(await readFile(file, 'utf8')).toBe(expectedUnit(stateDir));
    expect((await stat(file)).mode & 0o777).toBe(0o644);
    expect(await calls()).toEqual(['--version', 'daemon-reload', `enable --now ${UNIT_NAME}`]);

    const removed = await run(['uninstall-service', '--state-dir', stateDir], { env });
    expect(removed).toEqual({
      code: 0,
      stdout: `The service ${UNIT_NAME} is stopped, disabled and removed.\n`,
      stderr: '',
    });
    await expect(stat(file)).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await calls()).slice(3)).toEqual(['--version', `disable --now ${UNIT_NAME}`, 'daemon-reload']);
    expect((await run(['uninstall-service'], { env })).stdout).toBe(`The service ${UNIT_NAME} is not installed.\n`);
  });

  it('where systemd is absent, says so in one line and exits non-zero', async () => {
    await registeredStateDir(stateDir);
    const withoutRuntime = { ...env, [SYSTEMD_RUNTIME_DIR_VARIABLE]: path.join(temp.dir, 'absent') };
    const withoutSystemctl = { ...env, [SYSTEMCTL_VARIABLE]: path.join(temp.dir, 'no-such-systemctl') };
    for (const environment of [withoutRuntime, withoutSystemctl]) {
      for (const argv of [['install-service', '--state-dir', stateDir], ['uninstall-service']]) {
        expect(await run(argv, { env: environment })).toEqual({ code: 1, stdout: '', stderr: `${NO_SYSTEMD}\n` });
      }
    }
    expect(NO_SYSTEMD).toBe(
      "systemd is not running on this machine: run 'recovery-services-agent run' under your service manager (see --print for a unit).",
    );
    await expect(stat(path.join(unitDir, UNIT_NAME))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses a state directory that never registered, and reports a failing systemctl in one line', async () => {
    const unregistered = await run(['install-service', '--state-dir', stateDir], { env });
    expect(unregistered).toEqual({
      code: 1,
      stdout: '',
      stderr: 'This machine is not registered to a backup vault.\n',
    });
    await registeredStateDir(stateDir);
    const failing = { ...env, [SYSTEMCTL_VARIABLE]: await fakeSystemctl(true) };
    const refused = await run(['install-service', '--state-dir', stateDir], { env: failing });
    expect(refused).toEqual({
      code: 1,
      stdout: '',
      stderr: `systemctl enable --now ${UNIT_NAME} failed: Failed to enable unit: Access denied\n`,
    });
  });
});
