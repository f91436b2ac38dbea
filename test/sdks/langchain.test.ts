/**
 * LangChain's `ChatOpenAI` (`@langchain/openai`, chat completions through the `openai` SDK) with
 * `configuration.fetchOptions.dispatcher` against the mock gateway: test/support/sdk-clients.ts
 * runs the matrix. LangChain turns the `openai` client's own retries off (`maxRetries: 0`) and
 * retries through its AsyncCaller (p-retry, about 1 to 2 s before a resend); each resend is a new
 * `openai` request that again says `x-stainless-retry-count: 0`, so LangChain's retries can only be
 * linked by inference (`llm.retry.source=inferred`).
 */
import { ChatOpenAI } from '@langchain/openai';
import { type CallOptions, collect, describeSdk, type Received } from '../support/sdk-clients.ts';

type Usage = { input_tokens: number; output_tokens: number } | undefined;

function chat(options: CallOptions): Promise<Received> {
  return collect(async (received) => {
    const model = new ChatOpenAI({
      model: 'gpt-4o-mini',
      apiKey: 'sk-test-sdks',
      maxRetries: options.maxRetries,
      streamUsage: true,
      configuration: {
        baseURL: `${options.url}/v1`,
        defaultHeaders: options.headers,
        fetchOptions: { dispatcher: options.dispatcher } as never,
      },
    });
    if (!options.stream) {
      const message = await model.invoke('Say hello');
      received.text = String(message.content);
      received.finishReason = message.response_metadata.finish_reason as string | undefined;
      const usage = message.usage_metadata as Usage;
      received.usage = { input: usage?.input_tokens, output: usage?.output_tokens };
      received.id = message.id;
      return;
    }
    const stream = await model.stream('Say hello');
    for await (const chunk of stream) {
      received.chunks++;
      received.text += String(chunk.content);
      received.finishReason =
        (chunk.response_metadata.finish_reason as string | undefined) ?? received.finishReason;
      const usage = chunk.usage_metadata as Usage;
      if (usage) received.usage = { input: usage.input_tokens, output: usage.output_tokens };
      if (received.chunks === options.breakAfter) break;
    }
  });
}

describeSdk({
  name: '@langchain/openai: ChatOpenAI',
  operationName: 'chat',
  model: 'gpt-4o-mini',
  provider: '127.0.0.1',
  call: chat,
  finishReason: 'stop',
  sdkReportsRawFinishReason: true,
  immediateError: { scenario: '400', status: 400, errorType: '400' },
  midStreamError: { scenario: 'mid-stream-top-level-error', errorType: 'server_error' },
  retries: { source: 'inferred', errorType: '503' },
});
