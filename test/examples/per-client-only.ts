/**
 * What `llm-otel-dispatcher` resolves to in the per-client examples under test: the package, except
 * that the global dispatcher `startTelemetry()` installs records nothing. Every span those examples
 * export then comes from the dispatcher they hand to their client, which proves that wiring works.
 */
import { type StartTelemetryOptions, startTelemetry as startWithGlobalDispatcher } from '../../src/index.ts';

export * from '../../src/index.ts';

export function startTelemetry(options: StartTelemetryOptions = {}) {
  return startWithGlobalDispatcher({
    ...options,
    telemetry: { ...options.telemetry, ignoreRequest: () => true },
  });
}
