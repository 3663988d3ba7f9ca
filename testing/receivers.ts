import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export type ReceivedMail = { from: string; to: string[]; subject: string; text: string; raw: string };

/** Undoes quoted-printable soft breaks and escapes (how nodemailer sends long or non-ASCII lines). */
function decodeQuotedPrintable(body: string): string {
  return body
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

/**
 * A real SMTP server in the test process (smtp-server), without authentication or TLS, keeping what it receives. It
 * can be stopped and started again on the same port, as a mail server that goes away and comes back.
 */
export async function startSmtpReceiver(port = 0) {
  const messages: ReceivedMail[] = [];
  let server: SMTPServer | undefined;
  let bound = port;
  const start = async () => {
    server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const raw = chunks.join('');
          const [head = '', ...rest] = raw.split(/\r?\n\r?\n/);
          const unfolded = head.replace(/\r?\n[ \t]+/g, ' ');
          const subject = /^Subject: (.*)$/im.exec(unfolded)?.[1] ?? '';
          messages.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            subject,
            text: decodeQuotedPrintable(rest.join('\n\n')).replace(/\r\n/g, '\n'),
            raw,
          });
          callback();
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(bound, '127.0.0.1', () => resolve());
    });
    bound = (server.server.address() as AddressInfo).port;
  };
  await start();
  return {
    messages,
    get url() {
      return `smtp://127.0.0.1:${bound}`;
    },
    /** Stops listening (connections are refused) until `start` again. */
    stop: () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())),
    start,
    close: () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())),
  };
}

export type ReceivedCall = { headers: IncomingHttpHeaders; body: string; at: number };

/** A real HTTP webhook receiver on loopback; `status` is what it answers (change it to fail calls). */
export async function startWebhookReceiver() {
  const calls: ReceivedCall[] = [];
  const state = { status: 204 };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      calls.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      response.statusCode = state.status;
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    calls,
    state,
    url: `http://127.0.0.1:${port}/hooks/backup`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Polls `probe` until it answers something truthy, or fails after `ms`. */
export async function eventually<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  ms = 10_000,
  what = 'the condition',
): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > until) throw new Error(`${what} did not hold within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
