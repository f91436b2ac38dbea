/**
 * Node's `NODE_USE_ENV_PROXY=1` (or `--use-env-proxy`): with `HTTP_PROXY` / `HTTPS_PROXY` set, Node
 * routes the built-in `fetch` through undici's `EnvHttpProxyAgent`, which also honours `NO_PROXY`.
 * Pure: reads only the environment and arguments it is given.
 */

const PROXY_VARIABLES = ['http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY'] as const;
const FLAG = '--use-env-proxy';

/** The `--use-env-proxy` flag on the command line or in NODE_OPTIONS (without `--no-` form). */
function flagGiven(execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  if (execArgv.includes(FLAG)) return true;
  return (nodeOptions ?? '').split(/\s+/).includes(FLAG);
}

/** Whether Node would send the built-in `fetch` through a proxy taken from the environment. */
export function envProxyRequested(
  env: NodeJS.ProcessEnv = process.env,
  execArgv: readonly string[] = process.execArgv,
): boolean {
  if (env.NODE_USE_ENV_PROXY !== '1' && !flagGiven(execArgv, env.NODE_OPTIONS)) return false;
  return PROXY_VARIABLES.some((name) => (env[name] ?? '') !== '');
}
