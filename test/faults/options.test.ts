/**
 * Fault matrix, invalid options: every option of createTelemetryDispatcher (telemetry, dispatcher,
 * agent, retry and each retry option) fails at construction with an InvalidOptionError naming it,
 * and a failed installFetchTelemetry leaves the global dispatcher as it was.
 */
import { getGlobalDispatcher } from 'undici';
import { describe, expect, it } from 'vitest';
import {
  createTelemetryDispatcher,
  InvalidOptionError,
  installFetchTelemetry,
  type TelemetryDispatcherOptions,
} from '../../src/index.ts';

const INVALID: ReadonlyArray<[option: string, options: Record<string, unknown>]> = [
  ['tracerProvider', { tracerProvider: {} }],
  ['meterProvider', { meterProvider: 'global' }],
  ['providerName', { providerName: '' }],
  ['responseHeaders', { responseHeaders: 'x-request-id' }],
  ['responseHeaders', { responseHeaders: ['bad header'] }],
  ['responseHeaders', { responseHeaders: ['authorization'] }],
  ['maxErrorBodyBytes', { maxErrorBodyBytes: 0 }],
  ['maxRequestBodyBytes', { maxRequestBodyBytes: 1.5 }],
  ['maxResponseBodyBytes', { maxResponseBodyBytes: -1 }],
  ['maxSseLineBytes', { maxSseLineBytes: '1MiB' }],
  ['metricModels', { metricModels: [1] }],
  ['maxMetricModels', { maxMetricModels: Number.POSITIVE_INFINITY }],
  ['captureContent', { captureContent: 'yes' }],
  ['ignoreRequest', { ignoreRequest: true }],
  ['onTelemetryError', { onTelemetryError: 'log' }],
  ['dispatcher', { dispatcher: {} }],
  ['agent', { agent: 'keep-alive' }],
  ['retry', { retry: 3 }],
  ['maxAttempts', { retry: { maxAttempts: 0 } }],
  ['baseDelay', { retry: { baseDelay: Number.NaN } }],
  ['maxDelay', { retry: { maxDelay: -5 } }],
  ['deadline', { retry: { deadline: 0 } }],
  ['retryOn', { retry: { retryOn: [99] } }],
  ['retryOn', { retry: { retryOn: 'always' } }],
  ['methods', { retry: { methods: [1] } }],
  ['maxBufferedBodyBytes', { retry: { maxBufferedBodyBytes: 0 } }],
  ['retryMidStream', { retry: { retryMidStream: 1 } }],
  ['random', { retry: { random: 0.5 } }],
];

describe('invalid options fail at construction, naming the option', () => {
  it.each(INVALID)('%s: %j', (option, options) => {
    let thrown: unknown;
    try {
      createTelemetryDispatcher(options as TelemetryDispatcherOptions);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidOptionError);
    expect((thrown as InvalidOptionError).option).toBe(option);
    expect((thrown as Error).message).toContain(`option "${option}"`);
  });

  it('installFetchTelemetry with an invalid option throws and leaves the global dispatcher in place', () => {
    const before = getGlobalDispatcher();
    expect(() => installFetchTelemetry({ maxErrorBodyBytes: -1 })).toThrow(InvalidOptionError);
    expect(getGlobalDispatcher()).toBe(before);
  });
});
