import { runAgent } from './cli';
import { Interrupted } from './io';
import { processEnvironment } from './settings';

// The first Ctrl+C or SIGTERM asks a running backup, restore or the service to stop cleanly (reporting the failure to
// the portal); a second one ends the process at once.
const stop = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stop.signal.aborted) process.exit(signal === 'SIGTERM' ? 143 : 130);
    stop.abort(new Interrupted(signal));
  });
}

process.exitCode = await runAgent(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: processEnvironment(),
  signal: stop.signal,
});
// Pending timers (the service's sleep, keep-alive sockets) must not hold the process once the command is done.
process.exit();
