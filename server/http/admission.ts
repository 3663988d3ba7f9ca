/**
 * Page renders admitted a few at a time, in arrival order (scripts/serve.ts). A render is CPU work on the server's one
 * thread, interleaved with every other render in flight: with 50 at once, each turn of the event loop runs a slice of
 * all 50, a turn takes tens of milliseconds, and Node accepts about one new connection per turn, so a burst of new
 * visitors waited seconds just to be read (issue 13: the list page's p97.5 was 4-5 times its median under
 * autocannon's 50 connections). Admitted a few at a time, turns stay short, new connections are read at once, and
 * the waiting is first come, first served; fewer renders alive at once also means less garbage surviving to the old
 * generation. Throughput is unchanged: the CPU was the limit either way.
 */

/** How many page renders run at once; the database pool (10 connections) serves more than this. */
export const PAGE_RENDERS_AT_ONCE = 6;

/** What an admission watches: the response, whose 'close' (Node emits it after 'finish', or on an abort) ends it. */
export type Closable = { once(event: 'close', listener: () => void): unknown };

/** A first-come, first-served gate for at most `limit` concurrent pieces of work, each ended by its response closing. */
export class Admission {
  #active = 0;
  readonly #waiting: Array<() => void> = [];

  /**
   * `holdMs`: a render still open after this long stops counting against the limit (it goes on): a page stuck on the
   * database, or streaming for long, must not keep every later visitor waiting behind it.
   */
  constructor(
    readonly limit: number,
    readonly holdMs = 10_000,
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer: ${limit}`);
  }

  /** Work running now, and work waiting its turn. */
  get active(): number {
    return this.#active;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  /**
   * Resolves true when the response's work may start: at once if fewer than `limit` run, else when an earlier one
   * ends. Resolves false if the response closes (the client went away) while waiting: there is nothing to do then.
   * Call it as the request arrives, before anything else awaits, so that no 'close' is missed; the slot is freed
   * when the response closes.
   */
  admit(response: Closable): Promise<boolean> {
    if (this.#active < this.limit) {
      this.#take(response);
      return Promise.resolve(true);
    }
    return new Promise<boolean>((resolve) => {
      let waiting = true;
      const turn = () => {
        waiting = false;
        this.#take(response);
        resolve(true);
      };
      this.#waiting.push(turn);
      response.once('close', () => {
        if (!waiting) return;
        waiting = false;
        this.#waiting.splice(this.#waiting.indexOf(turn), 1);
        resolve(false);
      });
    });
  }

  #take(response: Closable) {
    this.#active++;
    let held = true;
    const release = () => {
      if (!held) return;
      held = false;
      clearTimeout(timer);
      this.#active--;
      this.#waiting.shift()?.();
    };
    const timer = setTimeout(release, this.holdMs);
    timer.unref?.();
    response.once('close', release);
  }
}

const NOT_A_PAGE = /^\/(api|_next|downloads|icons|subscriptions)(\/|$)|^\/favicon\.ico/i;

/** A page (or its RSC payload for a client-side navigation): GET or HEAD of anything but the APIs and files. */
export function isPageRender(method: string | undefined, url: string | undefined): boolean {
  return (method === 'GET' || method === 'HEAD') && !!url && !NOT_A_PAGE.test(url);
}
