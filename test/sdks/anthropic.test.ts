/**
 * `@anthropic-ai/sdk` (Messages) through the telemetry dispatcher (`fetchOptions.dispatcher`)
 * against the gateway's native Anthropic route: test/support/sdk-clients.ts runs the matrix. The SDK
 * numbers its resends in `x-stainless-retry-count`, so its retries are `llm.retry.source=sdk`.
 */
import Anthropic from '@anthropic-ai/sdk';
import { type CallOptions, collect, describeSdk, type Received } from '../support/sdk-clients.ts';

function messages(options: CallOptions): Promise<Received> {
  return collect(async (received) => {
    const anthropic = new Anthropic({
      apiKey: 'sk-ant-test-sdks',
      baseURL: options.url,
      maxRetries: options.maxRetries,
      fetchOptions: { dispatcher: options.dispatcher } as never,
    });
    const body = {
      model: 'claude-sonnet-4-5',
      max_tokens: 64,
      messages: [{ role: 'user' as const, content: 'Say hello' }],
    };
    if (!options.stream) {
      const message = await anthropic.messages.create(body, { headers: options.headers });
      received.text = message.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
      received.finishReason = message.stop_reason;
      received.usage = { input: inputTokens(message.usage), output: message.usage.output_tokens };
      received.id = message.id;
      return;
    }
    const stream = await anthropic.messages.create({ ...body, stream: true }, { headers: options.headers });
    let input: number | undefined;
    for await (const event of stream) {
      received.chunks++;
      if (event.type === 'message_start') {
        received.id = event.message.id;
        input = inputTokens(event.message.usage);
        received.usage = { input, output: event.message.usage.output_tokens };
      }
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta')
        received.text += event.delta.text;
      if (event.type === 'message_delta') {
        received.finishReason = event.delta.stop_reason;
        received.usage = { input, output: event.usage.output_tokens };
      }
      if (received.chunks === options.breakAfter) break;
    }
  });
}

/** Input tokens as the GenAI conventions count them: cache reads and writes are input too. */
function inputTokens(usage: {
  input_tokens: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
}): number {
  return (
    (usage.input_tokens ?? 0) +
    (usage.cache_creation_input_tokens ?? 0) +
    (usage.cache_read_input_tokens ?? 0)
  );
}

describeSdk({
  name: '@anthropic-ai/sdk: messages',
  operationName: 'chat',
  model: 'claude-sonnet-4-5',
  provider: 'anthropic',
  call: messages,
  finishReason: 'end_turn',
  sdkReportsRawFinishReason: true,
  immediateError: { scenario: '429', status: 429, errorType: 'rate_limit_error' },
  midStreamError: { scenario: 'mid-stream-error-event', errorType: 'overloaded_error' },
  retries: { source: 'sdk', errorType: 'api_error' },
});
