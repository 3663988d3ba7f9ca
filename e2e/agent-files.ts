import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect, type Page } from '@playwright/test';

const exec = promisify(execFile);

export type AgentRun = { code: number; stdout: string; stderr: string };

/** A machine set up as a new user would: vault credentials and the agent downloaded from QUICK START, registered. */
export type DownloadedAgent = {
  workDir: string;
  stateDir: string;
  run: (...args: string[]) => Promise<AgentRun>;
  spawn: (...args: string[]) => ChildProcess;
};

/** On a vault's QUICK START: downloads both files, registers the machine with the downloaded agent file. */
export async function downloadAndRegister(page: Page, machineName: string): Promise<DownloadedAgent> {
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'agent-e2e-'));
  const [credentials] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download vault credentials' }).click(),
  ]);
  const credentialsPath = path.join(workDir, credentials.suggestedFilename());
  await credentials.saveAs(credentialsPath);
  const [agentDownload] = await Promise.all([
    page.waitForEvent('download'),
    page
      .getByRole('link', { name: 'For Windows Server or System Center Data Protection Manager or Windows client' })
      .click(),
  ]);
  const agentPath = path.join(workDir, agentDownload.suggestedFilename());
  await agentDownload.saveAs(agentPath);
  const stateDir = path.join(workDir, 'state');
  const run = async (...args: string[]): Promise<AgentRun> => {
    try {
      const { stdout, stderr } = await exec(process.execPath, [agentPath, ...args, '--state-dir', stateDir], {
        timeout: 120_000,
        maxBuffer: 64 * 1024 * 1024,
      });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };
  const passphrase = path.join(workDir, 'passphrase.txt');
  await writeFile(passphrase, 'a long and secret passphrase\n');
  const registered = await run(
    'register',
    '--vault-credentials',
    credentialsPath,
    '--passphrase-file',
    passphrase,
    '--machine-name',
    machineName,
  );
  expect(registered.stderr).toBe('');
  expect(registered.stdout.trim()).toBe('Machine registration succeeded.');
  return {
    workDir,
    stateDir,
    run,
    spawn: (...args) =>
      spawn(process.execPath, [agentPath, ...args, '--state-dir', stateDir], { stdio: ['ignore', 'pipe', 'pipe'] }),
  };
}

/** Resolves with the first line of the child's stdout that satisfies `test`. */
export function waitForLine(child: ChildProcess, test: (line: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      const found = lines.find(test);
      if (found !== undefined) {
        child.stdout?.off('data', onData);
        resolve(found);
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`the agent exited (${code}) before the expected line`)));
  });
}
