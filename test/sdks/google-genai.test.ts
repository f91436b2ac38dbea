/**
 * `@google/genai` (Gemini API) through the telemetry dispatcher against the gateway's native Gemini
 * routes (`:generateContent`, `:streamGenerateContent?alt=sse`): test/support/sdk-clients.ts runs
 * the matrix. The SDK takes no dispatcher; it takes a `fetch` in `httpOptions`, which sends through
 * the dispatcher. It retries (`httpOptions.retryOptions`, p-retry) without numbering its resends,
 * so its retries can only be `llm.retry.source=inferred`.
 */
import { GoogleGenAI } from '@google/genai';
import {
  type CallOptions,
  collect,
  describeSdk,
  fetchThrough,
  type Received,
} from '../support/sdk-clients.ts';

function generateContent(options: CallOptions): Promise<Received> {
  return collect(async (received) => {
    const ai = new GoogleGenAI({
      apiKey: 'AIzaTestSdks000000000000000000000000000',
      httpOptions: {
        baseUrl: options.url,
        headers: options.headers,
        fetch: fetchThrough(options.dispatcher),
        // No retryOptions: the SDK does not retry. With them, 10 ms before the first resend.
        ...(options.maxRetries > 0 && {
          retryOptions: { attempts: options.maxRetries + 1, initialDelay: 0.01, maxDelay: 0.05, jitter: 0 },
        }),
      },
    });
    const request = { model: 'gemini-2.5-flash', contents: 'Say hello' };
    if (!options.stream) {
      const response = await ai.models.generateContent(request);
      received.text = response.text ?? '';
      received.finishReason = response.candidates?.[0]?.finishReason;
      received.usage = {
        input: response.usageMetadata?.promptTokenCount,
        output: response.usageMetadata?.candidatesTokenCount,
      };
      received.id = response.responseId;
      return;
    }
    const stream = await ai.models.generateContentStream(request);
    for await (const chunk of stream) {
      received.chunks++;
      received.text += chunk.text ?? '';
      received.finishReason = chunk.candidates?.[0]?.finishReason ?? received.finishReason;
      if (chunk.usageMetadata)
        received.usage = {
          input: chunk.usageMetadata.promptTokenCount,
          output: chunk.usageMetadata.candidatesTokenCount,
        };
      received.id = chunk.responseId;
      if (received.chunks === options.breakAfter) break;
    }
  });
}

describeSdk({
  name: '@google/genai: generateContent',
  operationName: 'generate_content',
  model: 'gemini-2.5-flash',
  provider: 'gcp.gemini',
  call: generateContent,
  finishReason: 'STOP',
  sdkReportsRawFinishReason: true,
  immediateError: { scenario: '429', status: 429, errorType: 'RESOURCE_EXHAUSTED' },
  midStreamError: { scenario: 'mid-stream-rate_limit', errorType: 'RESOURCE_EXHAUSTED' },
  retries: { source: 'inferred', errorType: 'UNAVAILABLE' },
  // The SDK's stream generator releases the body's reader on `break` without cancelling it, so the
  // body is still read to its end (by undici) and the call completes on the wire.
  breakWithoutCancel: { inputTokens: 12 },
});
