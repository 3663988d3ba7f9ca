/**
 * Emulator mode's journal of the requests the portal answered (GET /_emulator/requests). Written by the HTTP server
 * (scripts/serve.ts) and read by the control API's route, so it lives once per process, on globalThis, and imports
 * nothing that needs Next.js's server conditions.
 */
export type RecordedRequest = {
  method: string;
  path: string;
  status: number;
  at: string;
  /** The request's Cookie header: who asked is worked out only when the journal is read. */
  cookie?: string;
};

export class RequestJournal {
  #entries: RecordedRequest[] = [];
  constructor(private readonly limit = 10_000) {}
  add(entry: RecordedRequest): void {
    this.#entries.push(entry);
    if (this.#entries.length > this.limit) this.#entries.splice(0, this.#entries.length - this.limit);
  }
  /** The entries at or after `from` (ms since the epoch), oldest first. */
  since(from?: number): RecordedRequest[] {
    return from === undefined ? [...this.#entries] : this.#entries.filter((e) => Date.parse(e.at) >= from);
  }
  clear(): void {
    this.#entries = [];
  }
}

const KEY = Symbol.for('portal.emulator.journal');

/** The process's journal. */
export function processJournal(): RequestJournal {
  const holder = globalThis as { [KEY]?: RequestJournal };
  holder[KEY] ??= new RequestJournal();
  return holder[KEY];
}
