/**
 * The native-provider part of `llm-otel demo`: a success and a telling failure per provider
 * against the mock gateway's native routes, made the way applications make them (the Anthropic,
 * Gemini and Ollama SDKs; Bedrock Converse with fetch, since no AWS SDK is a dependency), each
 * reported as what the application saw. The SDKs are loaded on demand; a provider whose SDK is
 * not installed is skipped with a note.
 */
import { decodeMessages } from '../gateway/eventstream.ts';

export type NativeDemoProvider = 'anthropic' | 'gemini' | 'ollama' | 'bedrock';

export interface NativeDemoCall {
  readonly provider: NativeDemoProvider;
  /** What the call is, e.g. `messages stream`. */
  readonly what: string;
  readonly model: string;
  /** The `x-mock-scenario` header, when the call asks for a failure. */
  readonly scenario: string | undefined;
}

/** The native calls, in order: per provider a success, then a failure. */
export const NATIVE_DEMO_CALLS: readonly NativeDemoCall[] = [
  { provider: 'anthropic', what: 'messages stream', model: 'claude-sonnet-4-5', scenario: undefined },
  { provider: 'anthropic', what: 'messages', model: 'claude-sonnet-4-5', scenario: 'overloaded' },
  { provider: 'gemini', what: 'streamGenerateContent', model: 'gemini-2.5-flash', scenario: undefined },
  {
    provider: 'gemini',
    what: 'streamGenerateContent',
    model: 'gemini-2.5-flash',
    scenario: 'mid-stream-rate_limit',
  },
  { provider: 'ollama', what: 'chat stream', model: 'llama3.2', scenario: undefined },
  { provider: 'ollama', what: 'chat stream', model: 'llama3.2', scenario: 'mid-stream-server_error' },
  { provider: 'bedrock', what: 'converse-stream', model: 'amazon.nova-lite-v1:0', scenario: undefined },
  { provider: 'bedrock', what: 'converse', model: 'amazon.nova-lite-v1:0', scenario: '429' },
];

const PROMPT = 'llm-otel demo';
const MESSAGE_LENGTH = 80;

/** A failure already described for the line. */
class CallFailed extends Error {}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return `threw ${String(error)}`;
  const e = error as Error & { status?: unknown; status_code?: unknown; type?: unknown };
  const status = e.status ?? e.status_code;
  const parts = [e.constructor.name === 'Error' ? e.name : e.constructor.name];
  if (typeof status === 'number') parts.push(String(status));
  // The SDK's error type says it all; else the message, cut.
  if (typeof e.type === 'string') return [...parts, e.type].join(' ');
  return `${parts.join(' ')}: ${e.message.length > MESSAGE_LENGTH ? `${e.message.slice(0, MESSAGE_LENGTH)}...` : e.message}`;
}

/** Every native call names its scenario (`ok` for the successes), so --fail-rate leaves them alone. */
function headersOf(call: NativeDemoCall): Record<string, string> {
  return { 'x-mock-scenario': call.scenario ?? 'ok' };
}

async function anthropic(url: string, call: NativeDemoCall): Promise<string> {
  const { default: Anthropic } = await import('@anthropic-ai/sdk');
  const client = new Anthropic({ baseURL: url, apiKey: 'sk-ant-llm-otel-demo', maxRetries: 0 });
  const body = { model: call.model, max_tokens: 64, messages: [{ role: 'user' as const, content: PROMPT }] };
  const options = { headers: headersOf(call) };
  const message = call.what.endsWith('stream')
    ? await client.messages.stream(body, options).finalMessage()
    : await client.messages.create(body, options);
  const text = message.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
  return `ok: "${text}" stop_reason=${message.stop_reason} input_tokens=${message.usage.input_tokens} output_tokens=${message.usage.output_tokens}`;
}

async function gemini(url: string, call: NativeDemoCall): Promise<string> {
  const { GoogleGenAI } = await import('@google/genai');
  const ai = new GoogleGenAI({ apiKey: 'llm-otel-demo-key', httpOptions: { baseUrl: url } });
  const config = { httpOptions: { headers: headersOf(call) } };
  const texts: string[] = [];
  let finishReason: string | undefined;
  let usage = '';
  try {
    const stream = await ai.models.generateContentStream({ model: call.model, contents: PROMPT, config });
    for await (const chunk of stream) {
      texts.push(chunk.text ?? '');
      finishReason = chunk.candidates?.[0]?.finishReason ?? finishReason;
      const u = chunk.usageMetadata;
      if (u) usage = `promptTokenCount=${u.promptTokenCount} candidatesTokenCount=${u.candidatesTokenCount}`;
    }
  } catch (error) {
    throw new CallFailed(`after ${texts.length} chunks, ${describeError(error)}`);
  }
  return `ok: "${texts.join('')}" finishReason=${finishReason} ${usage}`;
}

async function ollama(url: string, call: NativeDemoCall): Promise<string> {
  const { Ollama } = await import('ollama');
  const client = new Ollama({ host: url, headers: headersOf(call) });
  const texts: string[] = [];
  let last: { done_reason?: string; prompt_eval_count?: number; eval_count?: number } = {};
  try {
    const stream = await client.chat({
      model: call.model,
      messages: [{ role: 'user', content: PROMPT }],
      stream: true,
    });
    for await (const part of stream) {
      texts.push(part.message.content);
      last = part;
    }
  } catch (error) {
    throw new CallFailed(`after ${texts.length} lines, ${describeError(error)}`);
  }
  return `ok: "${texts.join('')}" done_reason=${last.done_reason} prompt_eval_count=${last.prompt_eval_count} eval_count=${last.eval_count}`;
}

interface ConverseEvent {
  delta?: { text?: string };
  stopReason?: string;
  usage?: { inputTokens: number; outputTokens: number };
}

async function bedrock(url: string, call: NativeDemoCall): Promise<string> {
  const response = await fetch(`${url}/model/${encodeURIComponent(call.model)}/${call.what}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headersOf(call) },
    body: JSON.stringify({ messages: [{ role: 'user', content: [{ text: PROMPT }] }] }),
  });
  if (!response.ok) {
    const type = response.headers.get('x-amzn-errortype')?.split(':')[0];
    const { message } = (await response.json()) as { message: string };
    throw new CallFailed(`${type} ${response.status}: ${message}`);
  }
  const bytes = new Uint8Array(await response.arrayBuffer());
  const events = decodeMessages(bytes).messages.map((m) => ({
    type: m.headers[':event-type'] ?? m.headers[':exception-type'],
    payload: JSON.parse(new TextDecoder().decode(m.payload)) as ConverseEvent,
  }));
  const text = events.map((e) => e.payload.delta?.text ?? '').join('');
  const stop = events.find((e) => e.type === 'messageStop')?.payload.stopReason;
  const usage = events.find((e) => e.type === 'metadata')?.payload.usage;
  return `ok: "${text}" stopReason=${stop} inputTokens=${usage?.inputTokens} outputTokens=${usage?.outputTokens}`;
}

const RUNNERS: Record<NativeDemoProvider, (url: string, call: NativeDemoCall) => Promise<string>> = {
  anthropic,
  gemini,
  ollama,
  bedrock,
};

/**
 * Makes one native call; resolves to the line the application would log and whether a request
 * was sent (not when the provider's SDK is missing). Never rejects.
 */
export async function runNativeCall(
  url: string,
  call: NativeDemoCall,
): Promise<{ line: string; sent: boolean }> {
  const what = `${call.what}${call.scenario ? ` (${call.scenario})` : ''}`;
  const head = `${call.provider.padEnd(9)} ${call.model.padEnd(21)} ${what.padEnd(46)}`;
  try {
    return { line: `${head} ${await RUNNERS[call.provider](url, call)}`, sent: true };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ERR_MODULE_NOT_FOUND')
      return { line: `${head} skipped: the ${call.provider} SDK is not installed`, sent: false };
    const text = error instanceof CallFailed ? error.message : describeError(error);
    return { line: `${head} ${text}`, sent: true };
  }
}
