import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PASSPHRASE_CHANGED } from '@/agent/change-passphrase';
import { PointReader } from '@/components/recovery/point-reader';
import { parseWrappedVaultKey, unwrapVaultKey, wrapVaultKey } from '@/lib/backup-format';
import type { authenticateMachine } from '@/lib/registration/machine';
import { pointKey, pointObject } from '@/lib/restore/browse';
import { type Machine, PASSPHRASE, registeredMachine, routeFetch } from '@/testing/backups';
import { restoreRoutes } from '@/testing/restore';
import { type TestServices, testServices } from '@/testing/services';
import { replaceWrappedKey } from './keys';

let svc: TestServices;
beforeAll(async () => {
  svc = await testServices();
});
afterAll(() => svc.close());

const NEW_PASSPHRASE = 'an entirely different and longer passphrase';

async function machineWithRestores(options: Parameters<typeof registeredMachine>[1] = {}) {
  return registeredMachine(svc, { ...options, fetch: routeFetch(restoreRoutes).fetch });
}

async function keysOf(serverName: string, vaultId: string) {
  const { rows } = await svc.pool.query<{ id: string; wrapped_key: unknown }>(
    `select k.id, k.wrapped_key from backup_keys k join registered_servers s on s.id = k.server_id
     where s.vault_id = $1 and s.name = $2`,
    [vaultId, serverName],
  );
  return rows;
}

async function objectCount(vaultId: string): Promise<number> {
  const { rows } = await svc.pool.query<{ n: number }>(
    'select count(*)::int as n from backup_objects o join backup_keys k on k.id = o.key_id where k.vault_id = $1',
    [vaultId],
  );
  return rows[0]!.n;
}

/** Every file below `root` by relative path, as base64. */
async function files(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    out[path.relative(root, full)] = (await readFile(full)).toString('base64');
  }
  return out;
}

/** Every row of every table, as text: where an old wrapping would show if the portal kept it. */
async function everyRow(): Promise<string> {
  const { rows } = await svc.pool.query<{ table_name: string }>(
    `select table_name from information_schema.tables where table_schema = 'public'`,
  );
  let text = '';
  for (const { table_name } of rows) {
    text += JSON.stringify((await svc.pool.query(`select * from "${table_name}"`)).rows);
  }
  return text;
}

async function opens(wrapped: unknown, passphrase: string): Promise<boolean> {
  return unwrapVaultKey(parseWrappedVaultKey(wrapped), passphrase).then(
    () => true,
    () => false,
  );
}

describe('change-passphrase (agent → route handlers → PostgreSQL)', () => {
  let machine: Machine;
  let folder: string;
  let newFile: string;
  let wrongFile: string;

  beforeAll(async () => {
    machine = await machineWithRestores();
    folder = path.join(machine.work, 'data');
    await mkdir(path.join(folder, 'docs'), { recursive: true });
    await writeFile(path.join(folder, 'big.bin'), randomBytes(3 * 1024 * 1024));
    for (let i = 0; i < 5; i++) await writeFile(path.join(folder, 'docs', `note-${i}.txt`), `note ${i}\n`.repeat(300));
    expect((await machine.agent('protect', '--path', folder)).code).toBe(0);
    const backedUp = await machine.agent('backup');
    expect(backedUp.stderr).toBe('');
    expect(backedUp.code).toBe(0);
    newFile = path.join(machine.work, 'new.txt');
    await writeFile(newFile, `${NEW_PASSPHRASE}\n`);
    wrongFile = path.join(machine.work, 'wrong.txt');
    await writeFile(wrongFile, 'not the passphrase of this server\n');
  });
  afterAll(() => machine.remove());

  it('refuses a wrong current passphrase, or a new one too short, and changes nothing', async () => {
    const [before] = await keysOf('FILESERVER01', machine.vaultId);
    const state = await readFile(path.join(machine.stateDir, 'state.json'), 'utf8');
    const wrong = await machine.agent(
      'change-passphrase',
      '--passphrase-file',
      wrongFile,
      '--new-passphrase-file',
      newFile,
    );
    expect(wrong).toEqual({ code: 1, stdout: '', stderr: 'The passphrase is incorrect.\n' });
    const shortFile = path.join(machine.work, 'short.txt');
    await writeFile(shortFile, 'too short\n');
    const short = await machine.agent(
      'change-passphrase',
      '--passphrase-file',
      machine.passphraseFile,
      '--new-passphrase-file',
      shortFile,
    );
    expect(short).toEqual({ code: 1, stdout: '', stderr: 'The passphrase must be at least 16 characters long.\n' });
    const missing = await machine.agent('change-passphrase', '--passphrase-file', machine.passphraseFile);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^change-passphrase needs --passphrase-file OLD and --new-passphrase-file NEW\./);
    expect(await keysOf('FILESERVER01', machine.vaultId)).toEqual([before]);
    expect(await readFile(path.join(machine.stateDir, 'state.json'), 'utf8')).toBe(state);
  });

  it('wraps the vault key again: the portal keeps only the new wrapping, no object is sent again', async () => {
    const [before] = await keysOf('FILESERVER01', machine.vaultId);
    const objectsBefore = await objectCount(machine.vaultId);
    const oldSalt = (before!.wrapped_key as { kdf: { salt: string } }).kdf.salt;
    const oldCiphertext = (before!.wrapped_key as { ciphertext: string }).ciphertext;
    expect(await opens(before!.wrapped_key, PASSPHRASE)).toBe(true);

    const changed = await machine.agent(
      'change-passphrase',
      '--passphrase-file',
      machine.passphraseFile,
      '--new-passphrase-file',
      newFile,
    );
    expect(changed).toEqual({ code: 0, stdout: `${PASSPHRASE_CHANGED}\n`, stderr: '' });

    const after = await keysOf('FILESERVER01', machine.vaultId);
    expect(after).toHaveLength(1);
    expect(after[0]!.id).toBe(before!.id);
    expect(await opens(after[0]!.wrapped_key, NEW_PASSPHRASE)).toBe(true);
    expect(await opens(after[0]!.wrapped_key, PASSPHRASE)).toBe(false);
    const everything = await everyRow();
    expect(everything.includes(oldSalt)).toBe(false);
    expect(everything.includes(oldCiphertext)).toBe(false);
    expect(await objectCount(machine.vaultId)).toBe(objectsBefore);
    const { rows: logs } = await svc.pool.query(
      `select actor, category, operation, target from operation_logs where vault_id = $1 and operation = 'Change passphrase'`,
      [machine.vaultId],
    );
    expect(logs).toEqual([
      { actor: 'server FILESERVER01', category: 'Security', operation: 'Change passphrase', target: 'FILESERVER01' },
    ]);

    // The old passphrase no longer works here either; the new one does.
    const again = await machine.agent(
      'change-passphrase',
      '--passphrase-file',
      machine.passphraseFile,
      '--new-passphrase-file',
      wrongFile,
    );
    expect(again.stderr).toBe('The passphrase is incorrect.\n');
  });

  it('--from-server on another machine opens only with the new passphrase, byte for byte', async () => {
    const other = await machineWithRestores({ user: machine.user, vaultId: machine.vaultId, name: 'FILESERVER02' });
    try {
      const target = path.join(other.work, 'from-01');
      const recover = (passphraseFile: string) =>
        other.agent(
          'recover',
          '--path',
          folder,
          '--from-server',
          'FILESERVER01',
          '--passphrase-file',
          passphraseFile,
          '--target',
          target,
        );
      const old = await recover(machine.passphraseFile);
      expect(old.stderr).toBe('The passphrase is incorrect.\n');
      expect(old.code).toBe(1);
      const restored = await recover(newFile);
      expect(restored.stderr).toBe('');
      expect(restored.code).toBe(0);
      expect(await files(target)).toEqual(await files(folder));
    } finally {
      await other.remove();
    }
  });

  it("the browser's reader opens the point with the new passphrase and refuses the old one", async () => {
    const { rows } = await svc.pool.query<{ item_id: string; id: string }>(
      `select p.item_id, p.id from recovery_points p join protected_items i on i.id = p.item_id
       where i.vault_id = $1 and i.path = $2 order by p.taken_at desc limit 1`,
      [machine.vaultId, folder],
    );
    const address = { vaultId: machine.vaultId, itemId: rows[0]!.item_id, pointId: rows[0]!.id };
    vi.stubGlobal('fetch', async (url: string) => {
      const base = `/api/vaults/${address.vaultId}/items/${address.itemId}/points/${address.pointId}`;
      if (url === base) return Response.json(await pointKey(svc.db, address.vaultId, address.itemId, address.pointId));
      const object = url.startsWith(`${base}/objects/`) ? url.slice(base.length + 9) : '';
      const sealed = object && (await pointObject(svc, address.vaultId, address.itemId, address.pointId, object));
      return sealed ? new Response(sealed as Uint8Array<ArrayBuffer>) : Response.json({}, { status: 404 });
    });
    try {
      await expect(PointReader.open(address, PASSPHRASE)).rejects.toThrow('The passphrase is incorrect.');
      const reader = await PointReader.open(address, NEW_PASSPHRASE);
      const root = await reader.folder(reader.rootId);
      expect(root.pages[0]!.entries!.map((entry) => entry.name)).toEqual(['big.bin', 'docs']);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('the next backup still deduplicates against what was stored before the change', async () => {
    const objectsBefore = await objectCount(machine.vaultId);
    await writeFile(path.join(folder, 'docs', 'added.txt'), 'added after the change\n');
    const backedUp = await machine.agent('backup');
    expect(backedUp.stderr).toBe('');
    expect(backedUp.code).toBe(0);
    // The new file's chunk, the docs listing and the root listing; big.bin and the notes are not sent again.
    expect(await objectCount(machine.vaultId)).toBe(objectsBefore + 3);
    const { rows } = await svc.pool.query<{ data_transferred: string }>(
      `select data_transferred from operations where vault_id = $1 and kind = 'Backup' order by started_at desc limit 1`,
      [machine.vaultId],
    );
    expect(Number(rows[0]!.data_transferred)).toBeLessThan(64 * 1024);
  });
});

describe('replacing a wrapped key on the portal', () => {
  it('is a compare-and-swap on the machine’s own key: of two changes from the same wrapping one wins', async () => {
    const machine = await registeredMachine(svc, { name: 'CAS01' });
    const other = await registeredMachine(svc, { user: machine.user, vaultId: machine.vaultId, name: 'CAS02' });
    try {
      const [key] = await keysOf('CAS01', machine.vaultId);
      const [otherKey] = await keysOf('CAS02', machine.vaultId);
      const { rows } = await svc.pool.query<{ id: string }>('select id from registered_servers where name = $1', [
        'CAS01',
      ]);
      const me = await machineOf(rows[0]!.id);
      const vaultKey = await unwrapVaultKey(parseWrappedVaultKey(key!.wrapped_key), PASSPHRASE);
      const first = await wrapVaultKey(vaultKey, 'the first new passphrase of two');
      const second = await wrapVaultKey(vaultKey, 'the second new passphrase of two');
      const results = await Promise.allSettled([
        replaceWrappedKey(svc, me, { keyId: key!.id, wrappedKey: key!.wrapped_key }, first),
        replaceWrappedKey(svc, me, { keyId: key!.id, wrappedKey: key!.wrapped_key }, second),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(refused.reason).toMatchObject({ code: 'conflict' });
      const [now] = await keysOf('CAS01', machine.vaultId);
      const winner = results[0]!.status === 'fulfilled' ? first : second;
      expect(now!.wrapped_key).toEqual(winner);
      // The same change sent again (its answer was lost) is answered the same, and changes nothing.
      await expect(
        replaceWrappedKey(svc, me, { keyId: key!.id, wrappedKey: key!.wrapped_key }, winner),
      ).resolves.toEqual({ keyId: key!.id });
      // Another machine's key is not this machine's to replace.
      await expect(
        replaceWrappedKey(svc, me, { keyId: otherKey!.id, wrappedKey: otherKey!.wrapped_key }, first),
      ).rejects.toMatchObject({ code: 'not_found' });
      expect((await keysOf('CAS02', machine.vaultId))[0]).toEqual(otherKey);
    } finally {
      await machine.remove();
      await other.remove();
    }
  });
});

/** The machine as the portal authenticates it, without a signed token. */
async function machineOf(serverId: string): Promise<Awaited<ReturnType<typeof authenticateMachine>>> {
  const { rows } = await svc.pool.query(
    `select s.id, s.name, s.machine_public_key as "publicKeyPem", s.created_at as "createdAt", v.id as "vaultId",
            v.name as "vaultName", v.subscription_id as "subscriptionId"
     from registered_servers s join vaults v on v.id = s.vault_id where s.id = $1`,
    [serverId],
  );
  return rows[0];
}
