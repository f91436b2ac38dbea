/**
 * Loaded with `--import` into the example processes: resolves the package's own name to its
 * TypeScript sources instead of dist/, so the examples run against the code under test without a
 * build. (That the name resolves to dist/ through package.json "exports" is checked in
 * test/package/.)
 */
import { registerHooks } from 'node:module';

const SOURCES: Record<string, string> = {
  'llm-otel-dispatcher': new URL('../../src/index.ts', import.meta.url).href,
  'llm-otel-dispatcher/register': new URL('../../src/register/register.ts', import.meta.url).href,
};

registerHooks({
  resolve(specifier, context, nextResolve) {
    const url = SOURCES[specifier];
    return url === undefined
      ? nextResolve(specifier, context)
      : { url, format: 'module-typescript', shortCircuit: true };
  },
});
