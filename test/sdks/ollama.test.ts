/**
 * The `ollama` package (`/api/chat`, NDJSON streaming) through the telemetry dispatcher (its `fetch`
 * option) against the gateway's native Ollama route: test/support/sdk-clients.ts runs the matrix.
 * The client does not retry.
 */
import { Ollama } from 'ollama';
import type { Dispatcher } from 'undici';
import { describe, expect, it } from 'vitest';
import {
  bothWays,
  type CallOptions,
  collect,
  describeSdk,
  expectCall,
  fetchThrough,
  type Received,
  type RecordedCall,
  recordedCalls,
  type SdkSpec,
  useHarness,
} from '../support/sdk-clients.ts';

function chat(options: CallOptions): Promise<Received> {
  return collect(async (received) => {
    const ollama = new Ollama({
      host: options.url,
      headers: options.headers,
      fetch: fetchThrough(options.dispatcher),
    });
    const body = { model: 'llama3.2', messages: [{ role: 'user', content: 'Say hello' }] };
    if (!options.stream) {
      const response = await ollama.chat({ ...body, stream: false });
      received.text = response.message.content;
      received.finishReason = response.done_reason;
      received.usage = { input: response.prompt_eval_count, output: response.eval_count };
      return;
    }
    const stream = await ollama.chat({ ...body, stream: true });
    for await (const part of stream) {
      received.chunks++;
      received.text += part.message.content;
      if (part.done) {
        received.finishReason = part.done_reason;
        received.usage = { input: part.prompt_eval_count, output: part.eval_count };
      }
      if (received.chunks === options.breakAfter) break;
    }
  });
}

const SPEC: SdkSpec = {
  name: 'ollama: chat',
  operationName: 'chat',
  model: 'llama3.2',
  provider: 'ollama',
  call: chat,
  finishReason: 'stop',
  sdkReportsRawFinishReason: true,
  immediateError: { scenario: '429', status: 429, errorType: '429' },
  // An `{"error":"…"}` line names no code: the library's code for an unspecified stream error.
  midStreamError: { scenario: 'mid-stream-server_error', errorType: 'stream_error' },
  retries: 'the ollama client does not retry',
  // Breaking out of the iterator neither aborts the request nor cancels the body (the client's way
  // to stop is `abort()`, tested below): the body is read to its end and the call completes.
  breakWithoutCancel: { inputTokens: 10 },
};

describeSdk(SPEC);

describe('ollama: chat, stopped with abort()', () => {
  const harness = useHarness();

  it('the documented way to stop a stream: the call is llm.aborted, not an error', async () => {
    const stop = (dispatcher: Dispatcher, headers: Record<string, string>) =>
      collect(async (received) => {
        const ollama = new Ollama({
          host: harness.slowGateway.url,
          headers,
          fetch: fetchThrough(dispatcher),
        });
        const stream = await ollama.chat({
          model: 'llama3.2',
          messages: [{ role: 'user', content: 'Say hello' }],
          stream: true,
        });
        for await (const part of stream) {
          received.chunks++;
          received.text += part.message.content;
          stream.abort();
        }
      });
    const received = await bothWays(harness, stop, {});
    expect(received.chunks).toBe(1);
    expect(received.error).toBe('DOMException: This operation was aborted');
    const [recorded] = await recordedCalls(harness, 1);
    expectCall(SPEC, recorded as RecordedCall, { stream: true, statusCode: 200, aborted: true });
  });
});
