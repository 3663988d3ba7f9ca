import { parseArgs } from 'node:util';
import { backup } from './backup/command';
import { changePassphrase } from './change-passphrase';
import { PortalClock } from './clock';
import { type AgentContext, type AgentIO, interruptedExitCode, UsageError } from './io';
import { changeProtection, listPoints } from './items';
import { registerNodeCrypto } from './native-crypto';
import type { PassphraseSource } from './passphrase';
import { proxyCommand, readSavedProxy, setProxies } from './proxy';
import { type RegisterOptions, register } from './register';
import { recover } from './restore/command';
import type { Conflict } from './restore/engine';
import { DEFAULT_SAMPLE_PERCENT, verify } from './restore/verify';
import { DEFAULT_RETRY } from './retry';
import { runService } from './service';
import { followsPortalClock, processEnvironment } from './settings';
import { defaultStateDir } from './state';
import { status } from './status';
import { installService, uninstallService } from './systemd';
import { changeThrottle, throttleSettings } from './throttle';

export const USAGE = `Usage:
  recovery-services-agent register --vault-credentials PATH (--passphrase-file PATH | --generate-passphrase)
                                   [--machine-name NAME] [--state-dir DIR]
  recovery-services-agent status [--state-dir DIR]
  recovery-services-agent protect --path DIR [--path DIR ...] [--exclude PATTERN ...] [--state-dir DIR]
  recovery-services-agent unprotect --path DIR [--path DIR ...] [--state-dir DIR]
  recovery-services-agent backup [--path DIR] [--json] [--passphrase-file PATH] [--state-dir DIR]
  recovery-services-agent points [--path DIR] [--state-dir DIR]
  recovery-services-agent recover --path DIR [--point latest|TIME] --target DIR [--conflict copies|overwrite|skip]
                                  [--from-server NAME --passphrase-file PATH] [--json] [--state-dir DIR]
  recovery-services-agent verify --path DIR [--point latest|TIME] [--sample PERCENT] [--json] [--state-dir DIR]
  recovery-services-agent run [--json] [--state-dir DIR]
  recovery-services-agent throttle [--work-hours "Mon-Fri 08:00-18:00" --work-rate RATE --other-rate RATE | --off]
                                   [--state-dir DIR]
  recovery-services-agent proxy [--url http://[USER:PASSWORD@]HOST:PORT | --off] [--state-dir DIR]
  recovery-services-agent install-service [--print] [--state-dir DIR]
  recovery-services-agent uninstall-service
  recovery-services-agent change-passphrase --passphrase-file OLD --new-passphrase-file NEW [--state-dir DIR]

Without a passphrase option, register asks for the passphrase when run in a terminal.
The passphrase never leaves this machine; keep it safe, it is needed to restore data.
backup needs the passphrase only once, on machines registered before backups existed.
protect --exclude leaves out what matches the .gitignore-style pattern, relative to the folder (*.tmp, cache/,
!keep.tmp); protect again on the folder replaces its patterns (none without --exclude).
recover restores a folder as it was at a recovery point into the target folder; with --from-server, another
server's folder of the same vault, opened with the passphrase that server was registered with.
throttle limits the upload rate of backups: RATE is like 512KB/s, 1.5MB/s, 10MB/s (KB = 1024 bytes, at least 64KB/s)
or unlimited; the work hours are days (Mon-Fri, Mon,Wed,Fri) and times in the machine's local time. --off removes it.
proxy --url saves the proxy every call to the portal goes through (CONNECT, with its user and password, which are
kept in the state directory and never printed), over HTTPS_PROXY / HTTP_PROXY / NO_PROXY; --off removes it.
verify reads back a recovery point's listings and a random share of its chunks (5 % by default) and checks them,
writing nothing; a damaged point is named and the command fails.
install-service runs \`run\` with this state directory as the systemd service recovery-services-agent.service
(--print only prints its unit); uninstall-service stops and removes it.
change-passphrase wraps the vault key again with the new passphrase: the old one no longer opens this server's backups.
`;

/**
 * Runs one agent command and returns its exit code: 0 done, 1 failed (one line on stderr), 2 wrong command line, 130
 * (143 for SIGTERM) a backup or restore stopped by `io.signal` (one line on stderr). The service (`run`) stops on the
 * signal and exits 0.
 */
export async function runAgent(argv: string[], io: AgentIO): Promise<number> {
  registerNodeCrypto();
  const env = io.env ?? processEnvironment();
  const localNow = io.now ?? (() => new Date());
  const fetch = io.fetch ?? globalThis.fetch;
  // An agent that follows the portal's clock keeps the portal's time, read from the portal before it signs anything.
  const portalClock = followsPortalClock(env) ? new PortalClock(localNow, fetch) : undefined;
  const ctx: AgentContext = {
    stdout: io.stdout,
    stderr: io.stderr,
    stdin: io.stdin,
    env,
    now: portalClock ? () => portalClock.now() : localNow,
    fetch,
    retry: { ...DEFAULT_RETRY, ...io.retry },
    portalClock,
  };
  const [command, ...args] = argv;
  try {
    // The proxies the calls to the portal go through (agent/proxy.ts); none through a fetch of a test's own.
    setProxies(
      fetch === globalThis.fetch && command !== undefined && !['proxy', 'help', '--help', '-h'].includes(command)
        ? { saved: await readSavedProxy(savedStateDir(args, ctx)), env }
        : undefined,
    );
    switch (command) {
      case 'register':
        await register(parseRegisterArgs(args, ctx), ctx);
        return 0;
      case 'status':
        await status(parseStatusArgs(args, ctx), ctx);
        return 0;
      case 'protect':
      case 'unprotect': {
        const values = parseCommandArgs(args, {
          path: { type: 'string', multiple: true },
          'state-dir': { type: 'string' },
          // Only protect takes patterns: unprotect refuses --exclude as an unknown option.
          ...(command === 'protect' ? { exclude: { type: 'string', multiple: true } } : {}),
        });
        const paths = (values.path as string[] | undefined) ?? [];
        if (paths.length === 0 || paths.some((p) => p === '')) throw new UsageError(`${command} needs --path DIR.`);
        await changeProtection(
          {
            stateDir: stateDirOf(values['state-dir'] as string | undefined, ctx),
            paths,
            action: command,
            exclude: (values.exclude as string[] | undefined) ?? [],
          },
          ctx,
        );
        return 0;
      }
      case 'backup': {
        const values = parseCommandArgs(args, {
          path: { type: 'string' },
          json: { type: 'boolean' },
          'passphrase-file': { type: 'string' },
          'state-dir': { type: 'string' },
        });
        const file = values['passphrase-file'] as string | undefined;
        await backup(
          {
            stateDir: stateDirOf(values['state-dir'] as string | undefined, ctx),
            path: nonEmpty(values.path as string | undefined, '--path'),
            json: values.json === true,
            passphrase:
              file !== undefined
                ? { kind: 'file', path: file }
                : ctx.stdin?.isTTY
                  ? { kind: 'prompt', stdin: ctx.stdin, stderr: ctx.stderr }
                  : undefined,
            signal: io.signal,
          },
          ctx,
        );
        return 0;
      }
      case 'points': {
        const values = parseCommandArgs(args, { path: { type: 'string' }, 'state-dir': { type: 'string' } });
        await listPoints(
          {
            stateDir: stateDirOf(values['state-dir'] as string | undefined, ctx),
            path: nonEmpty(values.path as string | undefined, '--path'),
          },
          ctx,
        );
        return 0;
      }
      case 'recover': {
        const values = parseCommandArgs(args, {
          path: { type: 'string' },
          point: { type: 'string' },
          target: { type: 'string' },
          conflict: { type: 'string' },
          'from-server': { type: 'string' },
          'passphrase-file': { type: 'string' },
          json: { type: 'boolean' },
          'state-dir': { type: 'string' },
        });
        const folder = nonEmpty(values.path as string | undefined, '--path');
        const target = nonEmpty(values.target as string | undefined, '--target');
        if (!folder || !target) throw new UsageError('recover needs --path DIR and --target DIR.');
        const conflict = (values.conflict as string | undefined) ?? 'copies';
        if (!['copies', 'overwrite', 'skip'].includes(conflict)) {
          throw new UsageError('--conflict must be copies, overwrite or skip.');
        }
        const fromServer = nonEmpty(values['from-server'] as string | undefined, '--from-server');
        const passphraseFile = values['passphrase-file'] as string | undefined;
        if (fromServer && passphraseFile === undefined) {
          throw new UsageError('--from-server needs --passphrase-file PATH with the passphrase of that server.');
        }
        await recover(
          {
            stateDir: stateDirOf(values['state-dir'] as string | undefined, ctx),
            path: folder,
            point: nonEmpty(values.point as string | undefined, '--point'),
            target,
            conflict: conflict as Conflict,
            fromServer,
            passphraseFile,
            json: values.json === true,
            signal: io.signal,
          },
          ctx,
        );
        return 0;
      }
      case 'verify': {
        const values = parseCommandArgs(args, {
          path: { type: 'string' },
          point: { type: 'string' },
          sample: { type: 'string' },
          json: { type: 'boolean' },
          'state-dir': { type: 'string' },
        });
        const folder = nonEmpty(values.path as string | undefined, '--path');
        if (!folder) throw new UsageError('verify needs --path DIR.');
        const sample = Number((values.sample as string | undefined) ?? DEFAULT_SAMPLE_PERCENT);
        if (!(sample > 0 && sample <= 100)) throw new UsageError('--sample must be a percentage above 0, up to 100.');
        await verify(
          {
            stateDir: stateDirOf(values['state-dir'] as string | undefined, ctx),
            path: folder,
            point: nonEmpty(values.point as string | undefined, '--point'),
            sample,
            json: values.json === true,
            signal: io.signal,
          },
          ctx,
        );
        return 0;
      }
      case 'run': {
        const values = parseCommandArgs(args, { json: { type: 'boolean' }, 'state-dir': { type: 'string' } });
        await runService(
          {
            stateDir: stateDirOf(values['state-dir'] as string | undefined, ctx),
            json: values.json === true,
            signal: io.signal ?? new AbortController().signal,
          },
          ctx,
        );
        return 0;
      }
      case 'install-service': {
        const values = parseCommandArgs(args, { print: { type: 'boolean' }, 'state-dir': { type: 'string' } });
        await installService(
          { stateDir: stateDirOf(values['state-dir'] as string | undefined, ctx), print: values.print === true },
          ctx,
        );
        return 0;
      }
      case 'uninstall-service':
        // --state-dir is taken for symmetry with install-service; the unit is the machine's one.
        parseCommandArgs(args, { 'state-dir': { type: 'string' } });
        await uninstallService(ctx);
        return 0;
      case 'change-passphrase': {
        const values = parseCommandArgs(args, {
          'passphrase-file': { type: 'string' },
          'new-passphrase-file': { type: 'string' },
          'state-dir': { type: 'string' },
        });
        const passphraseFile = nonEmpty(values['passphrase-file'] as string | undefined, '--passphrase-file');
        const newPassphraseFile = nonEmpty(
          values['new-passphrase-file'] as string | undefined,
          '--new-passphrase-file',
        );
        if (!passphraseFile || !newPassphraseFile) {
          throw new UsageError('change-passphrase needs --passphrase-file OLD and --new-passphrase-file NEW.');
        }
        await changePassphrase(
          { stateDir: stateDirOf(values['state-dir'] as string | undefined, ctx), passphraseFile, newPassphraseFile },
          ctx,
        );
        return 0;
      }
      case 'proxy': {
        const values = parseCommandArgs(args, {
          url: { type: 'string' },
          off: { type: 'boolean' },
          'state-dir': { type: 'string' },
        });
        const url = nonEmpty(values.url as string | undefined, '--url');
        if (url !== undefined && values.off === true) throw new UsageError('Give either --url or --off, not both.');
        await proxyCommand(
          { stateDir: stateDirOf(values['state-dir'] as string | undefined, ctx), url, off: values.off === true },
          ctx,
        );
        return 0;
      }
      case 'throttle': {
        const values = parseCommandArgs(args, {
          'work-hours': { type: 'string' },
          'work-rate': { type: 'string' },
          'other-rate': { type: 'string' },
          off: { type: 'boolean' },
          'state-dir': { type: 'string' },
        });
        const given = [values['work-hours'], values['work-rate'], values['other-rate']].filter((v) => v !== undefined);
        if (values.off === true && given.length > 0)
          throw new UsageError('Give either --off or the throttle, not both.');
        if (given.length > 0 && given.length < 3) {
          throw new UsageError('throttle needs --work-hours, --work-rate and --other-rate together (or --off).');
        }
        await changeThrottle(
          {
            stateDir: stateDirOf(values['state-dir'] as string | undefined, ctx),
            settings:
              values.off === true
                ? 'off'
                : given.length === 3
                  ? throttleSettings(
                      values['work-hours'] as string,
                      values['work-rate'] as string,
                      values['other-rate'] as string,
                    )
                  : undefined,
          },
          ctx,
        );
        return 0;
      }
      case 'help':
      case '--help':
      case '-h':
        ctx.stdout.write(USAGE);
        return 0;
      case undefined:
        throw new UsageError('No command given.');
      default:
        throw new UsageError(`Unknown command '${command}'.`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      ctx.stderr.write(`${error.message}\n\n${USAGE}`);
      return 2;
    }
    ctx.stderr.write(`${oneLine(error)}\n`);
    // A backup or restore that stopped because it was asked to, as the shell reports a process ended by the signal.
    return io.signal?.aborted && command !== 'run' ? interruptedExitCode(io.signal) : 1;
  }
}

function parseRegisterArgs(args: string[], ctx: Pick<AgentContext, 'stdin' | 'stderr' | 'env'>): RegisterOptions {
  const values = parseCommandArgs(args, {
    'vault-credentials': { type: 'string' },
    'passphrase-file': { type: 'string' },
    'generate-passphrase': { type: 'boolean' },
    'machine-name': { type: 'string' },
    'state-dir': { type: 'string' },
  });
  const vaultCredentialsPath = values['vault-credentials'];
  if (!vaultCredentialsPath) throw new UsageError('register needs --vault-credentials PATH.');
  const machineName = values['machine-name'];
  if (machineName !== undefined && machineName.trim() === '') throw new UsageError('--machine-name must not be empty.');
  return {
    vaultCredentialsPath,
    passphrase: passphraseSource(values['passphrase-file'], values['generate-passphrase'] === true, ctx),
    machineName,
    stateDir: stateDirOf(values['state-dir'], ctx),
  };
}

function parseStatusArgs(args: string[], ctx: Pick<AgentContext, 'env'>): { stateDir: string } {
  const values = parseCommandArgs(args, { 'state-dir': { type: 'string' } });
  return { stateDir: stateDirOf(values['state-dir'], ctx) };
}

type OptionsConfig = Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>;

function nonEmpty(value: string | undefined, option: string): string | undefined {
  if (value === '') throw new UsageError(`${option} must not be empty.`);
  return value;
}

function parseCommandArgs<T extends OptionsConfig>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    // parseArgs explains unknown options, missing values and stray arguments itself.
    throw new UsageError((error as Error).message);
  }
}

function passphraseSource(
  file: string | undefined,
  generate: boolean,
  ctx: Pick<AgentContext, 'stdin' | 'stderr'>,
): PassphraseSource {
  if (file !== undefined && generate) {
    throw new UsageError('Give either --passphrase-file or --generate-passphrase, not both.');
  }
  if (file !== undefined) return { kind: 'file', path: file };
  if (generate) return { kind: 'generate' };
  if (ctx.stdin?.isTTY) return { kind: 'prompt', stdin: ctx.stdin, stderr: ctx.stderr };
  throw new UsageError('A passphrase is needed: give --passphrase-file PATH or --generate-passphrase.');
}

/** The state directory a command line names (or the default), read before the command's own options are. */
function savedStateDir(args: string[], ctx: Pick<AgentContext, 'env'>): string {
  const { values } = parseArgs({ args, options: { 'state-dir': { type: 'string' } }, strict: false });
  const option = values['state-dir'];
  return typeof option === 'string' && option !== '' ? option : defaultStateDir(ctx.env);
}

function stateDirOf(option: string | undefined, ctx: Pick<AgentContext, 'env'>): string {
  if (option === '') throw new UsageError('--state-dir must not be empty.');
  return option ?? defaultStateDir(ctx.env);
}

// The contract is one line per failure; a multi-line message from the system must not break it.
function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s*[\r\n]+\s*/g, ' ').trim() || 'The agent failed.';
}
