/**
 * The `openai` SDK (chat completions and Responses) through the telemetry dispatcher
 * (`fetchOptions.dispatcher`) against the mock gateway: test/support/sdk-clients.ts runs the matrix.
 * The SDK numbers its resends in `x-stainless-retry-count`, so its retries are `llm.retry.source=sdk`.
 */
import OpenAI from 'openai';
import { type CallOptions, collect, describeSdk, type Received } from '../support/sdk-clients.ts';

function client(options: CallOptions): OpenAI {
  return new OpenAI({
    apiKey: 'sk-test-sdks',
    baseURL: `${options.url}/v1`,
    maxRetries: options.maxRetries,
    fetchOptions: { dispatcher: options.dispatcher } as never,
  });
}

function chat(options: CallOptions): Promise<Received> {
  return collect(async (received) => {
    const openai = client(options);
    const body = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'Say hello' }] };
    if (!options.stream) {
      const completion = await openai.chat.completions.create(body, { headers: options.headers });
      received.text = completion.choices[0]?.message.content ?? '';
      received.finishReason = completion.choices[0]?.finish_reason;
      received.usage = {
        input: completion.usage?.prompt_tokens,
        output: completion.usage?.completion_tokens,
      };
      received.id = completion.id;
      return;
    }
    const stream = await openai.chat.completions.create(
      { ...body, stream: true, stream_options: { include_usage: true } },
      { headers: options.headers },
    );
    for await (const chunk of stream) {
      received.chunks++;
      received.text += chunk.choices[0]?.delta?.content ?? '';
      received.finishReason = chunk.choices[0]?.finish_reason ?? received.finishReason;
      if (chunk.usage)
        received.usage = { input: chunk.usage.prompt_tokens, output: chunk.usage.completion_tokens };
      received.id = chunk.id;
      if (received.chunks === options.breakAfter) break;
    }
  });
}

function responses(options: CallOptions): Promise<Received> {
  return collect(async (received) => {
    const openai = client(options);
    const body = { model: 'gpt-4o-mini', input: 'Say hello' };
    if (!options.stream) {
      const response = await openai.responses.create(body, { headers: options.headers });
      received.text = response.output_text;
      received.finishReason = response.status;
      received.usage = { input: response.usage?.input_tokens, output: response.usage?.output_tokens };
      received.id = response.id;
      return;
    }
    const stream = await openai.responses.create({ ...body, stream: true }, { headers: options.headers });
    for await (const event of stream) {
      received.chunks++;
      if (event.type === 'response.output_text.delta') received.text += event.delta;
      if (event.type === 'response.completed') {
        received.finishReason = event.response.status;
        received.usage = {
          input: event.response.usage?.input_tokens,
          output: event.response.usage?.output_tokens,
        };
        received.id = event.response.id;
      }
      if (received.chunks === options.breakAfter) break;
    }
  });
}

describeSdk({
  name: 'openai SDK: chat completions',
  operationName: 'chat',
  model: 'gpt-4o-mini',
  provider: '127.0.0.1',
  call: chat,
  finishReason: 'stop',
  sdkReportsRawFinishReason: true,
  immediateError: { scenario: '429', status: 429, errorType: '429' },
  midStreamError: { scenario: 'mid-stream-top-level-error', errorType: 'server_error' },
  retries: { source: 'sdk', errorType: '503' },
});

describeSdk({
  name: 'openai SDK: Responses',
  operationName: 'chat',
  model: 'gpt-4o-mini',
  provider: '127.0.0.1',
  call: responses,
  finishReason: 'completed',
  sdkReportsRawFinishReason: true,
  immediateError: { scenario: '400', status: 400, errorType: '400' },
  midStreamError: { scenario: 'mid-stream-top-level-error', errorType: 'server_error' },
  retries: { source: 'sdk', errorType: '503' },
});
