import { parseArgs } from 'node:util';
import { backup } from './backup/command';
import { PortalClock } from './clock';
import { type AgentContext, type AgentIO, interruptedExitCode, UsageError } from './io';
import { changeProtection, listPoints } from './items';
import { registerNodeCrypto } from './native-crypto';
import type { PassphraseSource } from './passphrase';
import { type RegisterOptions, register } from './register';
import { recover } from './restore/command';
import type { Conflict } from './restore/engine';
import { DEFAULT_RETRY } from './retry';
import { runService } from './service';
import { followsPortalClock, processEnvironment } from './settings';
import { defaultStateDir } from './state';
import { status } from './status';

export const USAGE = `Usage:
  recovery-services-agent register --vault-credentials PATH (--passphrase-file PATH | --generate-passphrase)
                                   [--machine-name NAME] [--state-dir DIR]
  recovery-services-agent status [--state-dir DIR]
  recovery-services-agent protect --path DIR [--path DIR ...] [--state-dir DIR]
  recovery-services-agent unprotect --path DIR [--path DIR ...] [--state-dir DIR]
  recovery-services-agent backup [--path DIR] [--json] [--passphrase-file PATH] [--state-dir DIR]
  recovery-services-agent points [--path DIR] [--state-dir DIR]
  recovery-services-agent recover --path DIR [--point latest|TIME] --target DIR [--conflict copies|overwrite|skip]
                                  [--from-server NAME --passphrase-file PATH] [--json] [--state-dir DIR]
  recovery-services-agent run [--json] [--state-dir DIR]

Without a passphrase option, register asks for the passphrase when run in a terminal.
The passphrase never leaves this machine; keep it safe, it is needed to restore data.
backup needs the passphrase only once, on machines registered before backups existed.
recover restores a folder as it was at a recovery point into the target folder; with --from-server, another
server's folder of the same vault, opened with the passphrase that server was registered with.
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
        });
        const paths = (values.path as string[] | undefined) ?? [];
        if (paths.length === 0 || paths.some((p) => p === '')) throw new UsageError(`${command} needs --path DIR.`);
        await changeProtection(
          { stateDir: stateDirOf(values['state-dir'] as string | undefined, ctx), paths, action: command },
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

function stateDirOf(option: string | undefined, ctx: Pick<AgentContext, 'env'>): string {
  if (option === '') throw new UsageError('--state-dir must not be empty.');
  return option ?? defaultStateDir(ctx.env);
}

// The contract is one line per failure; a multi-line message from the system must not break it.
function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s*[\r\n]+\s*/g, ' ').trim() || 'The agent failed.';
}
