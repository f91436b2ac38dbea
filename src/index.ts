/**
 * llm-otel-dispatcher: OpenTelemetry for every LLM API call an application makes through undici
 * (Node's built-in fetch, undici's fetch/request, the openai SDK, the AI SDK).
 */
// First, before anything loads undici: records the global dispatcher slots as the app left them
// (see dispatcher/global-snapshot.ts; a side-effect import, which import sorting leaves in place).
import './dispatcher/global-snapshot.ts';

export {
  createTelemetryDispatcher,
  type FetchTelemetryInstallation,
  installFetchTelemetry,
  type TelemetryDispatcherOptions,
} from './dispatcher/dispatcher.ts';
export type { InferredRetryOptions } from './inferred-retries/inferred-retries.ts';
export { telemetryInterceptor } from './interceptor/telemetry-interceptor.ts';
export { InvalidOptionError, type TelemetryOptions } from './options/options.ts';
export {
  type StartTelemetryOptions,
  startTelemetry,
  type TelemetryHandle,
} from './register/start-telemetry.ts';
export type { RetryDecisionContext, RetryOptions } from './retry/options.ts';
export { retryInterceptor } from './retry/retry-interceptor.ts';
export * from './semconv/names.ts';
