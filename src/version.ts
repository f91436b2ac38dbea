/** The instrumentation scope reported with every span and metric. */
export const INSTRUMENTATION_NAME = 'llm-otel-dispatcher';
export const INSTRUMENTATION_VERSION = '0.1.0';
