import type { PortalClock } from './clock';
import type { RetryPolicy } from './retry';

/** Where the agent writes text: process.stdout/stderr, or a collector in tests. */
export type TextOutput = { write(text: string): unknown };

/** What a hidden passphrase prompt needs from stdin; process.stdin has it when it is a terminal. */
export type PromptInput = NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };

export type AgentIO = {
  stdout: TextOutput;
  stderr: TextOutput;
  stdin?: PromptInput;
  env?: Record<string, string | undefined>;
  now?: () => Date;
  fetch?: typeof fetch;
  /**
   * Aborted when the process is asked to stop (SIGINT/SIGTERM, with an Interrupted as its reason): a backup or restore
   * stops, reports its failure to the portal and the command exits with 130 (143 for SIGTERM); the service stops.
   */
  signal?: AbortSignal;
  /** How long and how often a backup or restore tries the portal again while it is away (agent/retry.ts). */
  retry?: Partial<RetryPolicy>;
};

/**
 * AgentIO with its defaults filled in: what the commands run with. `portalClock`: the agent follows the portal's clock
 * (agent/clock.ts), and `now` is that clock's.
 */
export type AgentContext = Required<Omit<AgentIO, 'stdin' | 'signal' | 'retry'>> &
  Pick<AgentIO, 'stdin'> & { retry?: RetryPolicy; portalClock?: PortalClock };

/** A wrong command line: its message is followed by the usage text and exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The reason the agent's stop signal is aborted with when the process receives SIGINT or SIGTERM (agent/main.ts). */
export class Interrupted extends Error {
  constructor(readonly signal: 'SIGINT' | 'SIGTERM') {
    super(`interrupted (${signal})`);
    this.name = 'Interrupted';
  }
}

/** Why a command was asked to stop, as the user reads it: `interrupted (SIGINT)`. */
export function interruption(signal: AbortSignal): string {
  return signal.reason instanceof Interrupted ? signal.reason.message : 'interrupted';
}

/** The exit code of a command that stopped because it was interrupted: 128 + the signal's number. */
export function interruptedExitCode(signal: AbortSignal): number {
  return signal.reason instanceof Interrupted && signal.reason.signal === 'SIGTERM' ? 143 : 130;
}
