import { PortalError } from '@/lib/errors';

/**
 * Fault rules: a named operation (such as `vault.create` or `backup.commit`) made to fail, or to wait, on purpose. The
 * seam through which tests and the emulator make one operation fail where the user sees it; empty (so free) unless a
 * rule is added.
 */
export type FaultRule = {
  /** The operation's name. */
  operation: string;
  /** Only for this subject (a vault's or a server's name, compared case-insensitively). */
  match?: { name?: string };
  /** The message the user sees when it fails; no message only delays. */
  message?: string;
  /** Milliseconds to wait before going on (or failing). */
  delayMs?: number;
  /** 0 to 1: the share of calls it applies to (1 by default). */
  probability?: number;
  /** How many more times it applies (unlimited by default). */
  times?: number;
};

export type FiredRule = FaultRule & { id: number; fired: number };

export class Faults {
  #rules: FiredRule[] = [];
  #next = 1;

  add(rule: FaultRule): FiredRule {
    const added = { ...rule, id: this.#next++, fired: 0 };
    this.#rules.push(added);
    return added;
  }

  list(): FiredRule[] {
    return this.#rules.map((r) => ({ ...r }));
  }

  clear(): void {
    this.#rules = [];
  }

  /**
   * Applies the first rule for `operation` (and this subject, when the rule names one) that is due: waits its delay,
   * then throws its message as a PortalError.
   */
  async check(operation: string, subject: { name?: string } = {}): Promise<void> {
    if (this.#rules.length === 0) return;
    const name = subject.name?.toLowerCase();
    const rule = this.#rules.find(
      (r) =>
        r.operation === operation &&
        (r.match?.name === undefined || r.match.name.toLowerCase() === name) &&
        (r.times === undefined || r.fired < r.times),
    );
    if (!rule || (rule.probability !== undefined && Math.random() >= rule.probability)) return;
    rule.fired += 1;
    if (rule.delayMs) await new Promise((resolve) => setTimeout(resolve, rule.delayMs));
    if (rule.message) throw new PortalError('unavailable', rule.message);
  }
}
