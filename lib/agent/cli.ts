import { parseArgs } from 'node:util';
import { type AgentContext, type AgentIO, UsageError } from './io';
import type { PassphraseSource } from './passphrase';
import { type RegisterOptions, register } from './register';
import { defaultStateDir } from './state';
import { status } from './status';

export const USAGE = `Usage:
  recovery-services-agent register --vault-credentials PATH (--passphrase-file PATH | --generate-passphrase)
                                   [--machine-name NAME] [--state-dir DIR]
  recovery-services-agent status [--state-dir DIR]

Without a passphrase option, register asks for the passphrase when run in a terminal.
The passphrase never leaves this machine; keep it safe, it is needed to restore data.
`;

/** Runs one agent command and returns its exit code: 0 done, 1 failed (one line on stderr), 2 wrong command line. */
export async function runAgent(argv: string[], io: AgentIO): Promise<number> {
  const ctx: AgentContext = {
    stdout: io.stdout,
    stderr: io.stderr,
    stdin: io.stdin,
    env: io.env ?? process.env,
    now: io.now ?? (() => new Date()),
    fetch: io.fetch ?? globalThis.fetch,
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
    return 1;
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

type OptionsConfig = Record<string, { type: 'string' | 'boolean' }>;

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
