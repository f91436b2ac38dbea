/**
 * What one attempt ended with, and its mapping onto span attributes. The attempt span gets the
 * HTTP and error attributes; the operation span gets those of its last attempt plus the GenAI
 * response attributes.
 */
import type { Attributes } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OUTPUT_MESSAGES,
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_RESPONSE_ID,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_LLM_ABORTED,
  ATTR_LLM_ERROR_MESSAGE,
  ATTR_LLM_ERROR_PHASE,
  ATTR_LLM_ERROR_PROVIDER,
  ATTR_LLM_ERROR_PROVIDER_REQUEST_ID,
  ATTR_LLM_ERROR_RETRYABLE,
  ATTR_LLM_ERROR_SPEND_CAP,
  ATTR_LLM_STREAM_BYTES_RECEIVED,
  ATTR_LLM_STREAM_CHUNKS,
  ATTR_LLM_STREAM_LINES_DROPPED,
} from '../semconv/names.ts';

export type ErrorPhase = 'immediate' | 'mid_stream';

export interface ResponseFacts {
  readonly id?: string | undefined;
  readonly model?: string | undefined;
  readonly finishReasons?: readonly string[] | undefined;
  readonly inputTokens?: number | undefined;
  readonly outputTokens?: number | undefined;
  readonly outputMessages?: string | undefined;
  /** The usage object as sent, for cost and cached tokens (src/spend/). */
  readonly usage?: unknown;
}

export interface AttemptOutcome {
  statusCode: number | undefined;
  /** `http.response.header.*` attributes of this attempt. */
  headerAttributes: Attributes | undefined;
  errorType: string | undefined;
  errorMessage: string | undefined;
  phase: ErrorPhase | undefined;
  retryable: boolean | undefined;
  spendCap: boolean;
  errorProvider: string | undefined;
  errorProviderRequestId: string | undefined;
  aborted: boolean;
  /** A stream's terminal or error event was seen: its outcome stands whoever closed the body afterwards. */
  streamTerminated: boolean;
  /** Stream progress: data events and body bytes seen (streams only). */
  streamChunks: number | undefined;
  bytesReceived: number | undefined;
  /** SSE lines longer than the bound, dropped by the parser. */
  linesDropped: number | undefined;
  response: ResponseFacts | undefined;
  firstChunkSeconds: number | undefined;
  /** The cost a gateway reported in a response header (LiteLLM's `x-litellm-response-cost`), USD. */
  headerCostUsd: number | undefined;
}

export function emptyOutcome(): AttemptOutcome {
  return {
    statusCode: undefined,
    headerAttributes: undefined,
    errorType: undefined,
    errorMessage: undefined,
    phase: undefined,
    retryable: undefined,
    spendCap: false,
    errorProvider: undefined,
    errorProviderRequestId: undefined,
    aborted: false,
    streamTerminated: false,
    streamChunks: undefined,
    bytesReceived: undefined,
    linesDropped: undefined,
    response: undefined,
    firstChunkSeconds: undefined,
    headerCostUsd: undefined,
  };
}

/** Status, response headers, error and abort attributes: shared by attempt and operation spans. */
export function httpOutcomeAttributes(outcome: AttemptOutcome): Attributes {
  const attributes: Attributes = { ...outcome.headerAttributes };
  if (outcome.statusCode !== undefined) attributes[ATTR_HTTP_RESPONSE_STATUS_CODE] = outcome.statusCode;
  if (outcome.aborted) attributes[ATTR_LLM_ABORTED] = true;
  if (outcome.streamChunks !== undefined) attributes[ATTR_LLM_STREAM_CHUNKS] = outcome.streamChunks;
  if (outcome.bytesReceived !== undefined) attributes[ATTR_LLM_STREAM_BYTES_RECEIVED] = outcome.bytesReceived;
  if (outcome.linesDropped) attributes[ATTR_LLM_STREAM_LINES_DROPPED] = outcome.linesDropped;
  if (outcome.errorType === undefined || outcome.aborted) return attributes;
  attributes[ATTR_ERROR_TYPE] = outcome.errorType;
  if (outcome.errorMessage !== undefined) attributes[ATTR_LLM_ERROR_MESSAGE] = outcome.errorMessage;
  if (outcome.phase !== undefined) attributes[ATTR_LLM_ERROR_PHASE] = outcome.phase;
  if (outcome.retryable !== undefined) attributes[ATTR_LLM_ERROR_RETRYABLE] = outcome.retryable;
  if (outcome.spendCap) attributes[ATTR_LLM_ERROR_SPEND_CAP] = true;
  if (outcome.errorProvider !== undefined) attributes[ATTR_LLM_ERROR_PROVIDER] = outcome.errorProvider;
  if (outcome.errorProviderRequestId !== undefined) {
    attributes[ATTR_LLM_ERROR_PROVIDER_REQUEST_ID] = outcome.errorProviderRequestId;
  }
  return attributes;
}

/** The operation span's view: the HTTP outcome plus, for LLM calls, the GenAI response attributes. */
export function outcomeAttributes(outcome: AttemptOutcome, isLlmCall: boolean): Attributes {
  const attributes = httpOutcomeAttributes(outcome);
  const response = outcome.response;
  if (!isLlmCall || !response) return attributes;
  if (response.id !== undefined) attributes[ATTR_GEN_AI_RESPONSE_ID] = response.id;
  if (response.model !== undefined) attributes[ATTR_GEN_AI_RESPONSE_MODEL] = response.model;
  if (response.finishReasons && response.finishReasons.length > 0) {
    attributes[ATTR_GEN_AI_RESPONSE_FINISH_REASONS] = [...response.finishReasons];
  }
  if (response.inputTokens !== undefined) attributes[ATTR_GEN_AI_USAGE_INPUT_TOKENS] = response.inputTokens;
  if (response.outputTokens !== undefined)
    attributes[ATTR_GEN_AI_USAGE_OUTPUT_TOKENS] = response.outputTokens;
  if (response.outputMessages !== undefined)
    attributes[ATTR_GEN_AI_OUTPUT_MESSAGES] = response.outputMessages;
  if (outcome.firstChunkSeconds !== undefined) {
    attributes[ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] = outcome.firstChunkSeconds;
  }
  return attributes;
}
