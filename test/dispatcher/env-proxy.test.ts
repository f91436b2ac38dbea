/**
 * envProxyRequested(): the rule Node applies before routing the built-in fetch through
 * EnvHttpProxyAgent (checked on Node 22.23 and 24.21): NODE_USE_ENV_PROXY exactly "1", or the
 * --use-env-proxy flag on the command line or in NODE_OPTIONS, and a proxy variable that is set.
 */
import { describe, expect, it } from 'vitest';
import { envProxyRequested } from '../../src/dispatcher/env-proxy.ts';

const PROXY = 'http://127.0.0.1:3128';

describe('envProxyRequested', () => {
  it.each([
    ['NODE_USE_ENV_PROXY=1 with HTTP_PROXY', { NODE_USE_ENV_PROXY: '1', HTTP_PROXY: PROXY }, [], true],
    ['NODE_USE_ENV_PROXY=1 with https_proxy', { NODE_USE_ENV_PROXY: '1', https_proxy: PROXY }, [], true],
    ['--use-env-proxy with HTTPS_PROXY', { HTTPS_PROXY: PROXY }, ['--use-env-proxy'], true],
    [
      'NODE_OPTIONS=--use-env-proxy',
      { NODE_OPTIONS: '--max-old-space-size=64 --use-env-proxy', http_proxy: PROXY },
      [],
      true,
    ],
    [
      'NODE_USE_ENV_PROXY=true (Node wants "1")',
      { NODE_USE_ENV_PROXY: 'true', HTTP_PROXY: PROXY },
      [],
      false,
    ],
    ['NODE_USE_ENV_PROXY=0', { NODE_USE_ENV_PROXY: '0', HTTP_PROXY: PROXY }, [], false],
    ['no proxy variable', { NODE_USE_ENV_PROXY: '1', NO_PROXY: 'localhost' }, [], false],
    ['an empty proxy variable', { NODE_USE_ENV_PROXY: '1', HTTP_PROXY: '' }, [], false],
    ['HTTP_PROXY alone (Node ignores it)', { HTTP_PROXY: PROXY }, [], false],
  ] as const)('%s -> %s', (_label, env, execArgv, expected) => {
    expect(envProxyRequested(env as NodeJS.ProcessEnv, execArgv)).toBe(expected);
  });
});
