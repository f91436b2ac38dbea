/**
 * Over-redaction (issue 16 item 3): real provider error messages keep their words. Messages as
 * OpenAI, Anthropic, Gemini, LiteLLM, OpenRouter, Groq, Mistral and the seeds' gateways (Cline,
 * CheapAI) word them; ids and keys inside are made up in the providers' formats.
 */
import { describe, expect, it } from 'vitest';
import { redactMessage, redactSecrets } from '../../src/redact/text.ts';

/** Messages without a secret: redaction must leave every character. */
const CLEAN: Record<string, readonly string[]> = {
  openai: [
    'You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.',
    'Rate limit reached for gpt-4o in organization org-AbCdEfGhIjKlMnOpQrStUvWx on tokens per min (TPM): Limit 30000, Used 29684, Requested 1022. Please try again in 1.412s. Visit https://platform.openai.com/account/rate-limits to learn more.',
    "This model's maximum context length is 128000 tokens. However, your messages resulted in 130542 tokens. Please reduce the length of the messages.",
    "Invalid type for 'messages[0].content': expected one of a string or array of objects, but got an integer instead.",
    'The model `gpt-5-turbo` does not exist or you do not have access to it.',
    'The server had an error while processing your request. Sorry about that! You can retry your request, or contact us through our help center at help.openai.com if the error persists. (Please include the request ID req_0a1b2c3d4e5f67890a1b2c3d4e5f6789 in your message.)',
    "Missing required parameter: 'messages[1].content[0].type'.",
    "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
    'Your organization must be verified to stream this model. Please go to: https://platform.openai.com/settings/organization/general and click on Verify Organization.',
    "Invalid value: 'tool'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.",
    "Invalid 'max_tokens': integer below minimum value. Expected a value >= 1, but got 0 instead.",
    'Error: {"code": "invalid_type", "message": "Invalid type for max_tokens", "param": "max_tokens"}',
    'Rate limit reached for gpt-4o. Request id req_3f2a9c1e-8b7d-4e6f-a5c4-1d2e3f4a5b6c',
    "Invalid 'tools[0].function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.",
  ],
  anthropic: [
    'invalid x-api-key',
    'Overloaded',
    'prompt is too long: 215000 tokens > 200000 maximum',
    'max_tokens: 100000 > 64000, which is the maximum allowed number of output tokens for claude-sonnet-4-20250514',
    'messages: roles must alternate between "user" and "assistant", but found multiple "user" roles in a row',
    'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.',
    'This request would exceed the rate limit for your organization (a1b2c3d4-e5f6-7890-abcd-ef1234567890) of 50,000 input tokens per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits. You can see the response headers for current usage.',
    'model: claude-3-opus-latest',
    'messages.1.content.0.tool_use.input: Input should be a valid dictionary',
    'OAuth authentication is currently not supported.',
    'authentication_error: invalid x-api-key',
    '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"req_011CSHoEeqs5C35K2UUqR7Fy"}',
  ],
  gemini: [
    'API key not valid. Please pass a valid API key.',
    'API key expired. Please renew the API key.',
    'Resource has been exhausted (e.g. check quota).',
    'You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits. To monitor your current usage, head to: https://ai.dev/usage?tab=rate-limit. \n* Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_input_token_count, limit: 250000, model: gemini-2.5-flash\nPlease retry in 37.613423451s.',
    'The model is overloaded. Please try again later.',
    '* GenerateContentRequest.contents: contents is not specified',
    'models/gemini-1.0-pro is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.',
    'The input token count (1234567) exceeds the maximum number of tokens allowed (1048576).',
    'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
    "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
  ],
  litellm: [
    'litellm.RateLimitError: RateLimitError: OpenAIException - Rate limit reached for gpt-4o-mini in organization org-xyz on requests per min (RPM): Limit 500, Used 500, Requested 1. Please try again in 120ms.\nReceived Model Group=gpt-4o-mini\nAvailable Model Group Fallbacks=None',
    'litellm.BadRequestError: AnthropicException - {"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 201234 tokens > 200000 maximum"}}',
    "litellm.ContextWindowExceededError: litellm.BadRequestError: ContextWindowExceededError: OpenAIException - This model's maximum context length is 128000 tokens.",
    'litellm.APIConnectionError: APIConnectionError: OpenAIException - Connection error.',
    'litellm.AuthenticationError: AuthenticationError: OpenAIException - The api_key client option must be set either by passing api_key to the client or by setting the OPENAI_API_KEY environment variable',
    'Invalid model name passed in model=gpt-5-mini. Call `/v1/models` to view available models for your key.',
    'ExceededBudget: User=user-123 over budget. Spend=10.5, Budget=10.0',
    'litellm.ServiceUnavailableError: ServiceUnavailableError: VertexAIException - The model is overloaded.',
  ],
  openrouter: [
    'No endpoints found for meta-llama/llama-3.1-405b-instruct:free.',
    'Insufficient credits. Add more using https://openrouter.ai/settings/credits',
    'This endpoint\'s maximum context length is 131072 tokens. However, you requested about 140000 tokens (120000 of text input, 20000 in the output). Please reduce the length of either one, or use the "middle-out" transform to compress your prompt automatically.',
    'Provider returned error',
    'No auth credentials found',
    'User not found.',
    'google/gemini-2.5-pro is temporarily rate-limited upstream. Please retry shortly, or add your own key to accumulate your rate limits: https://openrouter.ai/settings/integrations',
    'Key limit exceeded (total limit). Manage it using https://openrouter.ai/settings/keys',
  ],
  groq: [
    'Invalid API Key',
    'Rate limit reached for model `llama-3.3-70b-versatile` in organization `org_01hq8example7gqe3yzk4cd9wfx` service tier `on_demand` on tokens per minute (TPM): Limit 6000, Used 5800, Requested 900. Please try again in 7s. Need more tokens? Upgrade to Dev Tier today at https://console.groq.com/settings/billing',
    'The model `llama3-70b-8192` has been decommissioned and is no longer supported. Please refer to https://console.groq.com/docs/deprecations for a recommendation on which model to use instead.',
    'Please reduce the length of the messages or completion.',
    'The model `meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8` does not exist or you do not have access to it.',
  ],
  mistral: [
    'Unauthorized',
    'Requests rate limit exceeded',
    'Invalid model: mistral-larg-latest',
    'Prompt contains 40000 tokens and 0 draft tokens, too large for model with 32768 maximum context length',
    '{"object":"error","message":"Service tier capacity exceeded for this model.","type":"service_tier_capacity_exceeded","param":null,"code":"3505"}',
  ],
  seeds: [
    'Invalid API key',
    'Insufficient credits',
    'Key does not have access to this resource',
    'Invalid endpoint or model ID',
    'Rate limit exceeded',
    'Something went wrong on our end',
    'Upstream provider error',
    'Service temporarily down',
    "The input exceeds the model's maximum context length.",
    'Human-readable error description',
    'API key reached its daily spend limit',
    'Too many requests or the API key reached its daily spend limit.',
    'Malformed request body',
  ],
};

/** Messages that echo a secret: exactly the secret goes. */
const ECHOES: readonly [provider: string, message: string, expected: string][] = [
  [
    'openai',
    'Incorrect API key provided: sk-proj-********************************************abcd. You can find your API key at https://platform.openai.com/account/api-keys.',
    'Incorrect API key provided: REDACTED. You can find your API key at https://platform.openai.com/account/api-keys.',
  ],
  [
    'litellm',
    'litellm.AuthenticationError: AuthenticationError: OpenAIException - Incorrect API key provided: sk-1234. You can find your API key at https://platform.openai.com/account/api-keys.',
    'litellm.AuthenticationError: AuthenticationError: OpenAIException - Incorrect API key provided: REDACTED. You can find your API key at https://platform.openai.com/account/api-keys.',
  ],
  [
    'litellm',
    'Authentication Error, Invalid proxy server token passed. Received API Key = sk-...abcd, Key Hash (Token) =88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539800c9f1243fe6b4b. Unable to find token in cache or `LiteLLM_VerificationTokenTable`',
    'Authentication Error, Invalid proxy server token passed. Received API Key = REDACTED, Key Hash (Token) =REDACTED. Unable to find token in cache or `LiteLLM_VerificationTokenTable`',
  ],
  [
    'groq via an OpenAI-compatible gateway',
    'Incorrect API key provided: gsk_abc*******************************************xyZ1.',
    'Incorrect API key provided: REDACTED.',
  ],
  ['xai', 'Incorrect API key provided: xa***xy. ', 'Incorrect API key provided: xa***xy. '],
  [
    'gemini',
    'API key not valid: AIzaSyD-EXAMPLEexample1234567890abcdefg. Please pass a valid API key.',
    'API key not valid: REDACTED. Please pass a valid API key.',
  ],
  [
    'gateway echoing the header',
    'Invalid authorization header "Bearer 3f9a2c7e1b8d4a6f9e0c1d2b3a4f5e6d" for route /v1/chat',
    'Invalid authorization header "Bearer REDACTED" for route /v1/chat',
  ],
];

describe('provider messages keep their words', () => {
  for (const [provider, messages] of Object.entries(CLEAN)) {
    it.each(messages)(`${provider}: %s`, (message) => {
      expect(redactSecrets(message)).toBe(message);
      expect(redactMessage(message, 1024)).toBe(message.slice(0, 1024));
    });
  }
});

describe('messages that echo a secret lose exactly the secret', () => {
  it.each(ECHOES)('%s: %s', (_provider, message, expected) => {
    expect(redactSecrets(message)).toBe(expected);
  });

  it('the masked xAI echo keeps too little to be a key; the exact credential goes anyway', () => {
    const key = `xai-${'Q7w'.repeat(26)}`;
    expect(redactSecrets(`Incorrect API key provided: ${key}.`, [key])).toBe(
      'Incorrect API key provided: REDACTED.',
    );
  });
});
