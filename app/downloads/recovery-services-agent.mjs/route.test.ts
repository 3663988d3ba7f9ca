import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { serveRoutesFrom } from '@/testing/backups';
import { type TestServices, testServices } from '@/testing/services';
import { FOLLOWS_PORTAL_CLOCK_LINE } from '@/wire/protocol';
import { GET } from './route';

vi.mock('@/lib/auth/guard', () => ({ currentUser: async () => ({ id: 'user', email: 'a@b.c', subscriptions: [] }) }));

const BUNDLE = "#!/usr/bin/env node\nimport { createRequire } from 'node:module';\nconsole.log('agent');\n";

let cwd: string;
let portal: TestServices;
let emulator: TestServices;

beforeAll(async () => {
  // The route serves dist/agent/ of the portal's working directory: here a stand-in bundle.
  cwd = await mkdtemp(path.join(os.tmpdir(), 'agent-download-'));
  await mkdir(path.join(cwd, 'dist', 'agent'), { recursive: true });
  await writeFile(path.join(cwd, 'dist', 'agent', 'recovery-services-agent.mjs'), BUNDLE);
  vi.spyOn(process, 'cwd').mockReturnValue(cwd);
  [portal, emulator] = await Promise.all([
    testServices(),
    testServices({ PORTAL_EMULATOR: '1', PORTAL_ADMIN_EMAIL: 'admin@example.com' }),
  ]);
});

afterAll(async () => {
  vi.restoreAllMocks();
  await Promise.all([portal?.close(), emulator?.close()]);
  await rm(cwd, { recursive: true, force: true });
});

describe('GET /downloads/recovery-services-agent.mjs', () => {
  it('serves the bundle as it was built outside emulator mode', async () => {
    serveRoutesFrom(portal);
    const response = await GET();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="recovery-services-agent.mjs"');
    expect(Buffer.from(await response.arrayBuffer()).equals(Buffer.from(BUNDLE))).toBe(true);
  });

  it("in emulator mode, marks the agent as following the portal's clock, after the #! line", async () => {
    serveRoutesFrom(emulator);
    const response = await GET();
    expect(response.status).toBe(200);
    const [shebang, marker, ...rest] = (await response.text()).split('\n');
    expect(shebang).toBe('#!/usr/bin/env node');
    expect(marker).toBe(FOLLOWS_PORTAL_CLOCK_LINE);
    expect([shebang, ...rest].join('\n')).toBe(BUNDLE);
  });
});
