import type { PGlite } from '@electric-sql/pglite';

type Queued = {
  handlerId: number;
  message: Uint8Array;
  onData: (data: Uint8Array) => void;
  resolve: (size: number) => void;
  reject: (error: Error) => void;
};

// Frontend message types that end a unit of work: Sync closes an extended-protocol sequence (Parse, Bind, Describe,
// Execute...), a simple Query stands alone, Terminate ends the session; 0 is the first byte of a startup packet.
const ENDS_UNIT = new Set([0x53, 0x51, 0x58, 0]);

/**
 * Serialises the wire-protocol messages of many client connections onto PGlite's single session.
 *
 * pglite-socket's own queue keeps a connection's messages together only inside a transaction. Outside one it lets
 * another connection's Parse land between a connection's Parse and Bind, and since all share PGlite's one unnamed
 * prepared statement, the Bind then meets the wrong statement ("bind message supplies 1 parameters, but prepared
 * statement "" requires 2"). This queue gives the connection that started a unit the session until the unit ends:
 * its Sync or simple Query, or, inside a transaction, until the transaction ends.
 */
export class ProtocolUnitQueue {
  private queue: Queued[] = [];
  private owner: number | null = null;
  private running = false;

  constructor(private readonly db: PGlite) {}

  enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number> {
    return new Promise((resolve, reject) => {
      this.queue.push({ handlerId, message, onData, resolve, reject });
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.queue.length > 0) {
        const index = this.owner === null ? 0 : this.queue.findIndex((q) => q.handlerId === this.owner);
        // The owner's next message has not arrived yet: everyone else waits for it.
        if (index < 0) break;
        const [next] = this.queue.splice(index, 1);
        if (!next) break;
        let size = 0;
        try {
          await this.db.runExclusive(() =>
            this.db.execProtocolRawStream(next.message, {
              onRawData: (data) => {
                size += data.length;
                next.onData(data);
              },
            }),
          );
          next.resolve(size);
        } catch (err) {
          next.reject(err as Error);
        }
        const endsUnit = ENDS_UNIT.has(next.message[0] ?? 0);
        this.owner = this.db.isInTransaction() || !endsUnit ? next.handlerId : null;
      }
    } finally {
      this.running = false;
    }
  }

  clearQueueForHandler(handlerId: number): void {
    this.queue = this.queue.filter((q) => {
      if (q.handlerId !== handlerId) return true;
      q.reject(new Error('Handler disconnected'));
      return false;
    });
  }

  /** A connection that went away mid-unit must not keep the session: roll back what it left open and move on. */
  async clearTransactionIfNeeded(handlerId: number): Promise<void> {
    if (this.owner !== handlerId) return;
    if (this.db.isInTransaction()) await this.db.exec('ROLLBACK');
    this.owner = null;
    await this.pump();
  }

  getQueueLength(): number {
    return this.queue.length;
  }
}
