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
