/**
 * AWS Bedrock Runtime: `/model/{modelId}/converse`, `converse-stream`, `invoke` and
 * `invoke-with-response-stream`; the (percent-encoded) model id comes from the path. Converse
 * responses carry `stopReason` and `usage.inputTokens/outputTokens`. The streaming routes answer in
 * `application/vnd.amazon.eventstream` framing, read by src/eventstream/.
 */
import { decodeSegment } from './openai.ts';
import type { GenAiResponse, Route, WireFormat } from './types.ts';
import { isObject, parseJsonObject, stringOf, tokenCount } from './types.ts';

const MODEL = '/model/';
const ACTIONS: Readonly<Record<string, boolean>> = {
  converse: false,
  'converse-stream': true,
  invoke: false,
  'invoke-with-response-stream': true,
};

export const bedrock: WireFormat = {
  name: 'bedrock',
  route(path: string): Route | undefined {
    const slash = path.lastIndexOf('/');
    const action = path.slice(slash + 1);
    const streams = ACTIONS[action];
    if (streams === undefined || !path.startsWith(MODEL)) return undefined;
    const model = path.slice(MODEL.length, slash);
    if (model === '' || model.includes('/')) return undefined;
    return {
      format: bedrock,
      operationName: 'chat',
      model: decodeSegment(model),
      streams,
      provider: 'aws.bedrock',
    };
  },
  streamsByDefault: false,
  parseResponse(body: string, captureContent: boolean): GenAiResponse | undefined {
    const response = parseJsonObject(body);
    if (!response) return undefined;
    const usage = isObject(response.usage) ? response.usage : undefined;
    const stopReason = stringOf(response.stopReason ?? response.stop_reason);
    const output = isObject(response.output) ? response.output.message : undefined;
    return {
      id: undefined,
      model: undefined,
      finishReasons: stopReason === undefined ? [] : [stopReason],
      inputTokens: tokenCount(usage?.inputTokens ?? usage?.input_tokens),
      outputTokens: tokenCount(usage?.outputTokens ?? usage?.output_tokens),
      outputMessages: captureContent && output !== undefined ? JSON.stringify(output) : undefined,
    };
  },
};
