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
  /** Aborted when the process is asked to stop (SIGINT/SIGTERM): long commands end between steps. */
  signal?: AbortSignal;
};

/** AgentIO with its defaults filled in: what the commands run with. */
export type AgentContext = Required<Omit<AgentIO, 'stdin' | 'signal'>> & Pick<AgentIO, 'stdin'>;

/** A wrong command line: its message is followed by the usage text and exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
