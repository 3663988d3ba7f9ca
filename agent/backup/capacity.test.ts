import { describe, expect, it } from 'vitest';
import { checkCapacity } from './command';

const GB = 1024 ** 3;

describe('the limits a backup checks before it starts', () => {
  it('refuses a data source over 54,400 GB with a clear message', async () => {
    await expect(checkCapacity(54_401 * GB, '/state', () => {}, 10_000 * GB)).rejects.toThrow(
      'The data source is 54,401 GB, more than the 54,400 GB a protected item can hold: protect its subfolders separately.',
    );
    await expect(checkCapacity(54_400 * GB, '/state', () => {}, 10_000 * GB)).resolves.toBeUndefined();
  });

  it("refuses when the state directory's disk has less than 10 % of the data's size free, and warns under 15 %", async () => {
    const warnings: string[] = [];
    const warn = (line: string) => warnings.push(line);
    await expect(checkCapacity(100 * GB, '/state', warn, 9 * GB)).rejects.toThrow(
      /not enough free space on the disk of the agent's state directory \/state: 9\.00 GB free/,
    );
    await checkCapacity(100 * GB, '/state', warn, 12 * GB);
    expect(warnings).toEqual([
      "Warning: the disk of the agent's state directory /state has 12.00 GB free, less than 15% of the 100.00 GB being backed up.",
    ]);
    await checkCapacity(100 * GB, '/state', warn, 20 * GB);
    expect(warnings).toHaveLength(1);
  });
});
