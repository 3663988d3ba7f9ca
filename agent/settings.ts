/**
 * The agent's settings module: the only one of the agent's modules that reads the process's environment. The commands
 * get it through their context (AgentContext.env), so tests hand them an environment of their own.
 */
export function processEnvironment(): NodeJS.ProcessEnv {
  return process.env;
}
