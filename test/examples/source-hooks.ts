/**
 * Loaded with `--import` into the example processes: resolves the package's own name to its
 * TypeScript sources instead of dist/, so the examples run against the code under test without a
 * build. (That the name resolves to dist/ through package.json "exports" is checked in
 * test/package/.) With LLM_OTEL_EXAMPLES_PER_CLIENT_ONLY=1 the main entry is per-client-only.ts.
 */
import { registerHooks } from 'node:module';

const main =
  process.env.LLM_OTEL_EXAMPLES_PER_CLIENT_ONLY === '1' ? './per-client-only.ts' : '../../src/index.ts';
const SOURCES: Record<string, string> = {
  'llm-otel-dispatcher': new URL(main, import.meta.url).href,
  'llm-otel-dispatcher/register': new URL('../../src/register/register.ts', import.meta.url).href,
};

registerHooks({
  resolve(specifier, context, nextResolve) {
    const url = SOURCES[specifier];
    if (url === undefined) return nextResolve(specifier, context);
    return { url, format: 'module-typescript', shortCircuit: true };
  },
});
