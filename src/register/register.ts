/**
 * `node --import llm-otel-dispatcher/register app.js`: starts telemetry before the application
 * runs (see start-telemetry.ts; configured by `OTEL_*` variables and `LLM_OTEL_CONSOLE`). If
 * anything goes wrong it prints one warning line to stderr and the application runs without
 * telemetry.
 */
// First: records undici's global dispatcher slots before anything loads undici 8 (see the module).
import '../dispatcher/global-snapshot.ts';
import { INSTRUMENTATION_NAME } from '../version.ts';
import { startTelemetry } from './start-telemetry.ts';

try {
  await startTelemetry();
} catch (error) {
  const reason = error instanceof Error ? error.message : String(error);
  process.stderr.write(
    `${INSTRUMENTATION_NAME}/register: telemetry not started, the application runs without it: ${reason}\n`,
  );
}
