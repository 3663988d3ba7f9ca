import { runAgent } from './cli';

process.exitCode = await runAgent(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
});
