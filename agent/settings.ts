import { FOLLOWS_PORTAL_CLOCK_GLOBAL } from '@/wire/protocol';

/**
 * The agent's settings module: the only one of the agent's modules that reads the process's environment. The commands
 * get it through their context (AgentContext.env), so tests hand them an environment of their own.
 */
export function processEnvironment(): NodeJS.ProcessEnv {
  return process.env;
}

/** `1`: the agent follows the portal's clock, as an agent downloaded from a portal in emulator mode does. */
export const FOLLOW_PORTAL_CLOCK_VARIABLE = 'AGENT_FOLLOW_PORTAL_CLOCK';

/**
 * Whether the agent keeps the portal's time instead of its machine's (agent/clock.ts): when the file it runs from was
 * downloaded from a portal in emulator mode (whose first line sets the global), or when the environment says so.
 */
export function followsPortalClock(env: Record<string, string | undefined>): boolean {
  return (
    (globalThis as Record<string, unknown>)[FOLLOWS_PORTAL_CLOCK_GLOBAL] === true ||
    env[FOLLOW_PORTAL_CLOCK_VARIABLE] === '1'
  );
}

/** Where `install-service` writes its systemd unit (tests point it at a folder of their own). */
export const SYSTEMD_UNIT_DIR_VARIABLE = 'AGENT_SYSTEMD_UNIT_DIR';
/** The systemctl program `install-service` and `uninstall-service` run. */
export const SYSTEMCTL_VARIABLE = 'AGENT_SYSTEMCTL';
/** The folder whose presence says systemd runs this machine (sd_booted(3)). */
export const SYSTEMD_RUNTIME_DIR_VARIABLE = 'AGENT_SYSTEMD_RUNTIME_DIR';

/** systemd's places and program for the agent's service, from the environment or the system's defaults. */
export function systemdSettings(env: Record<string, string | undefined>): {
  unitDir: string;
  systemctl: string;
  runtimeDir: string;
} {
  return {
    unitDir: env[SYSTEMD_UNIT_DIR_VARIABLE] || '/etc/systemd/system',
    systemctl: env[SYSTEMCTL_VARIABLE] || 'systemctl',
    runtimeDir: env[SYSTEMD_RUNTIME_DIR_VARIABLE] || '/run/systemd/system',
  };
}

/**
 * The proxy the environment names for a portal reached by `protocol` ('http:' or 'https:'), and the hosts it is not
 * for, as curl reads them: `https_proxy`/`HTTPS_PROXY` for https, `http_proxy`/`HTTP_PROXY` for http, and
 * `no_proxy`/`NO_PROXY`; the lower-case name first, an empty value as none. A proxy saved by `proxy --url` wins over
 * these (agent/proxy.ts).
 */
export function proxyEnvironment(
  env: Record<string, string | undefined>,
  protocol: string,
): { variable: string; proxy: string | undefined; noProxy: string | undefined } {
  const names = protocol === 'https:' ? ['https_proxy', 'HTTPS_PROXY'] : ['http_proxy', 'HTTP_PROXY'];
  const variable = names.find((name) => env[name]) ?? names[1]!;
  return { variable, proxy: env[variable] || undefined, noProxy: env.no_proxy || env.NO_PROXY || undefined };
}
