import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RecoveryServicesClient } from '@azure/arm-recoveryservices';
import { RecoveryServicesBackupClient } from '@azure/arm-recoveryservicesbackup';
import { NextRequest } from 'next/server';
import { afterAll, beforeAll } from 'vitest';
import { handleArmRequest } from '@/lib/arm/router';
import { type TestServices, testServices } from './services';

/**
 * The ARM API's handler on a local HTTP server, on a fresh database, for the unmodified SDKs: their models'
 * mappers must read what the API answers, and the API must take what the SDK sends. Call it at the top of a test file.
 */
export function sdkTestServer() {
  let svc: TestServices | undefined;
  let server: Server | undefined;
  let endpoint = '';

  beforeAll(async () => {
    server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const url = new URL(req.url!, endpoint);
      const request = new NextRequest(url, {
        method: req.method,
        headers: req.headers as Record<string, string>,
        body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
      });
      const segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
      const response = await handleArmRequest(request, segments, svc!);
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(Buffer.from(await response.arrayBuffer()));
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // The API's links (nextLink) are built on PORTAL_URL, so the SDK follows them back to this server.
    svc = await testServices({ PORTAL_URL: endpoint });
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await svc?.close();
  });

  return {
    get svc(): TestServices {
      return svc!;
    },
    /** The backup SDK's client with a portal token in place of an Azure AD one, over plain http. */
    backupClient(token: string, subscriptionId: string) {
      return withToken(new RecoveryServicesBackupClient(credentialOf(token), subscriptionId, options()), token);
    },
    /** The vaults SDK's client (@azure/arm-recoveryservices), the same way. */
    vaultsClient(token: string, subscriptionId: string) {
      return withToken(new RecoveryServicesClient(credentialOf(token), subscriptionId, options()), token);
    },
  };

  function options() {
    return { endpoint, allowInsecureConnection: true };
  }
}

const credentialOf = (token: string) => ({
  getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3_600_000 }),
});

/** The SDKs' own bearer policy refuses plain http: the token goes in with a policy of ours (arm-api-requests.md). */
function withToken<T extends RecoveryServicesClient | RecoveryServicesBackupClient>(client: T, token: string): T {
  client.pipeline.removePolicy({ name: 'bearerTokenAuthenticationPolicy' });
  client.pipeline.addPolicy(
    {
      name: 'portalToken',
      sendRequest: (request, next) => {
        request.headers.set('Authorization', `Bearer ${token}`);
        return next(request);
      },
    },
    { phase: 'Sign' },
  );
  return client;
}

export async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
