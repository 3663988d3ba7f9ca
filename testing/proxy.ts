import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import forge from 'node-forge';

/** One CONNECT the proxy was asked for: its target (host:port), the Proxy-Authorization sent, and whether it opened. */
export type Tunnel = { target: string; authorization: string | undefined; opened: boolean };

/**
 * A forward proxy in the test's process, as a company's would be: it opens HTTP CONNECT tunnels (answering 407 without
 * the credentials it wants, when given `user` and `password`), refuses requests in absolute form, and reaches each
 * target through `routes` (a host:port the test makes up, such as portal.test:80, to a real 127.0.0.1 port), so a call
 * that did not come through it cannot reach that portal at all. `tunnels` records every CONNECT; `upstreamPorts` the
 * local ports of its connections to the targets (what the portal sees as its callers' ports).
 */
export class TestProxy {
  readonly tunnels: Tunnel[] = [];
  readonly upstreamPorts = new Set<number>();
  readonly requests: string[] = [];
  private readonly server: http.Server;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  constructor(
    private readonly routes: Record<string, number>,
    private readonly credentials?: { user: string; password: string },
  ) {
    this.server = http.createServer((req, res) => {
      this.requests.push(`${req.method} ${req.url}`);
      res.writeHead(405, { 'content-length': '0' }).end();
    });
    this.server.on('connection', (socket: net.Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
      const tunnel: Tunnel = {
        target: req.url ?? '',
        authorization: req.headers['proxy-authorization'],
        opened: false,
      };
      this.tunnels.push(tunnel);
      client.on('error', () => client.destroy());
      const wanted = this.credentials
        ? `Basic ${Buffer.from(`${this.credentials.user}:${this.credentials.password}`).toString('base64')}`
        : undefined;
      if (wanted && tunnel.authorization !== wanted) {
        client.end(
          'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\n' +
            'Content-Length: 0\r\nConnection: close\r\n\r\n',
        );
        return;
      }
      const port = this.routes[tunnel.target];
      if (port === undefined) {
        client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
        return;
      }
      const upstream = net.connect({ host: '127.0.0.1', port });
      this.sockets.add(upstream);
      upstream.on('close', () => this.sockets.delete(upstream));
      upstream.on('connect', () => {
        this.upstreamPorts.add(upstream.localPort!);
        tunnel.opened = true;
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (head.length > 0) upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on('error', () => {
        if (!tunnel.opened) client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
        else client.destroy();
      });
      client.on('close', () => upstream.destroy());
    });
  }

  async listen(): Promise<this> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  /** The proxy's URL, with the given credentials in it. */
  url(credentials?: { user: string; password: string }): string {
    const auth = credentials
      ? `${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.password)}@`
      : '';
    return `http://${auth}127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** A self-signed certificate for 127.0.0.1 (and portal.test), for a portal on https. */
export function selfSigned(): { key: string; cert: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  cert.serialNumber = '01';
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 3_600_000);
  const name = [{ name: 'commonName', value: 'portal.test' }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    {
      name: 'subjectAltName',
      altNames: [
        { type: 2, value: 'portal.test' },
        { type: 7, ip: '127.0.0.1' },
      ],
    },
  ]);
  const key = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  cert.sign(forge.pki.privateKeyFromPem(key), forge.md.sha256.create());
  return { key, cert: forge.pki.certificateToPem(cert) };
}
