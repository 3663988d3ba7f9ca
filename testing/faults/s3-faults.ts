import { once } from 'node:events';
import http from 'node:http';
import type net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * What the proxy does to requests while it is faulty: every `slowDownEvery`th request is answered 503 SlowDown (S3's
 * "reduce your request rate"), every `delayEvery`th of the others waits `delayMs` before it goes on; from the
 * `burst.atRequest`th request on, every request is answered 503 for `burst.ms` (longer than the S3 client's own tries).
 */
export type S3FaultPlan = {
  slowDownEvery: number;
  delayEvery: number;
  delayMs: number;
  burst?: { atRequest: number; ms: number };
};

export type S3FaultCounts = { requests: number; slowDowns: number; delayed: number };

/**
 * A fault-injecting HTTP proxy on loopback in front of an S3-protocol server (s3rver): what the portal's S3 client
 * meets when a bucket throttles it (503 SlowDown) and answers slowly. Requests are passed on as they came (the host
 * header too, which their signatures cover).
 */
export class S3FaultProxy {
  endpoint = '';
  readonly counts: S3FaultCounts = { requests: 0, slowDowns: 0, delayed: 0 };
  private plan: S3FaultPlan | undefined;
  private burstUntil = 0;
  private seen = 0;
  private server: http.Server | undefined;
  private readonly target: URL;
  private readonly agent = new http.Agent({ keepAlive: true });

  constructor(target: string) {
    this.target = new URL(target);
  }

  async start(): Promise<void> {
    const server = http.createServer((req, res) => {
      void this.handle(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(502);
        res.destroy();
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    this.server = server;
    this.endpoint = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  }

  /** Faulty from now on, as the plan says (undefined: every request passes untouched). */
  setPlan(plan: S3FaultPlan | undefined): void {
    this.plan = plan;
    this.seen = 0;
  }

  /** Every request is answered 503 SlowDown for `ms`. */
  burst(ms: number): void {
    this.burstUntil = Date.now() + ms;
  }

  /** Every request passes untouched. */
  heal(): void {
    this.plan = undefined;
    this.burstUntil = 0;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.agent.destroy();
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    this.counts.requests += 1;
    const plan = this.plan;
    const n = plan || Date.now() < this.burstUntil ? ++this.seen : 0;
    if (plan?.burst && n === plan.burst.atRequest) this.burst(plan.burst.ms);
    if (Date.now() < this.burstUntil || (plan && plan.slowDownEvery > 0 && n % plan.slowDownEvery === 0)) {
      // The request is read to its end first, as S3 does, so the client is not cut off while it sends.
      req.resume();
      await once(req, 'end');
      this.counts.slowDowns += 1;
      const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message><RequestId>fault-${this.counts.slowDowns}</RequestId></Error>`;
      res.writeHead(503, {
        'content-type': 'application/xml',
        'content-length': String(Buffer.byteLength(body)),
        'x-amz-request-id': `fault-${this.counts.slowDowns}`,
      });
      res.end(body);
      return;
    }
    if (plan && plan.delayEvery > 0 && n % plan.delayEvery === 0) {
      this.counts.delayed += 1;
      await sleep(plan.delayMs);
    }
    const upstream = http.request({
      host: this.target.hostname,
      port: this.target.port,
      method: req.method,
      path: req.url,
      headers: req.headers,
      agent: this.agent,
    });
    upstream.on('response', (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  }
}
