/**
 * Every telemetry name this package emits: span names' parts, attribute keys, event names, metric
 * instruments and well-known values. The contract is ../shared/TELEMETRY.md (mirrored in the
 * docs/telemetry.md tables, which test/semconv/names.test.ts checks against these constants).
 *
 * HTTP and GenAI names follow the OpenTelemetry semantic conventions; `llm.*` names are ours.
 * Defined here rather than imported from @opentelemetry/semantic-conventions so the run-time
 * dependency set stays @opentelemetry/api + undici, and so GenAI (development-status) names are
 * pinned.
 */

// --- HTTP (stable semconv) ---------------------------------------------------------------------
export const ATTR_HTTP_REQUEST_METHOD = 'http.request.method';
export const ATTR_HTTP_RESPONSE_STATUS_CODE = 'http.response.status_code';
export const ATTR_HTTP_REQUEST_RESEND_COUNT = 'http.request.resend_count';
/** Prefix; the header's lowercase name is appended. Value: string array. */
export const ATTR_HTTP_RESPONSE_HEADER_PREFIX = 'http.response.header.';
export const ATTR_URL_FULL = 'url.full';
export const ATTR_SERVER_ADDRESS = 'server.address';
export const ATTR_SERVER_PORT = 'server.port';
export const ATTR_NETWORK_PROTOCOL_VERSION = 'network.protocol.version';
export const ATTR_ERROR_TYPE = 'error.type';

// --- GenAI (development semconv, pinned) -------------------------------------------------------
export const ATTR_GEN_AI_OPERATION_NAME = 'gen_ai.operation.name';
export const ATTR_GEN_AI_PROVIDER_NAME = 'gen_ai.provider.name';
export const ATTR_GEN_AI_REQUEST_MODEL = 'gen_ai.request.model';
export const ATTR_GEN_AI_REQUEST_STREAM = 'gen_ai.request.stream';
export const ATTR_GEN_AI_RESPONSE_MODEL = 'gen_ai.response.model';
export const ATTR_GEN_AI_RESPONSE_ID = 'gen_ai.response.id';
export const ATTR_GEN_AI_RESPONSE_FINISH_REASONS = 'gen_ai.response.finish_reasons';
export const ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK = 'gen_ai.response.time_to_first_chunk';
export const ATTR_GEN_AI_USAGE_INPUT_TOKENS = 'gen_ai.usage.input_tokens';
export const ATTR_GEN_AI_USAGE_OUTPUT_TOKENS = 'gen_ai.usage.output_tokens';
export const ATTR_GEN_AI_TOKEN_TYPE = 'gen_ai.token.type';
/** Opt-in content capture (`captureContent: true`). */
export const ATTR_GEN_AI_INPUT_MESSAGES = 'gen_ai.input.messages';
export const ATTR_GEN_AI_OUTPUT_MESSAGES = 'gen_ai.output.messages';

// --- ours: errors ------------------------------------------------------------------------------
export const ATTR_LLM_ERROR_MESSAGE = 'llm.error.message';
export const ATTR_LLM_ERROR_PHASE = 'llm.error.phase';
export const ATTR_LLM_ERROR_RETRYABLE = 'llm.error.retryable';
export const ATTR_LLM_ERROR_SPEND_CAP = 'llm.error.spend_cap';
export const ATTR_LLM_ERROR_PROVIDER = 'llm.error.provider';
export const ATTR_LLM_ERROR_PROVIDER_REQUEST_ID = 'llm.error.provider_request_id';
export const ATTR_LLM_ABORTED = 'llm.aborted';
export const ATTR_LLM_AUTH_SCHEME_MISSING = 'llm.auth.scheme_missing';

// --- ours: streams -----------------------------------------------------------------------------
export const ATTR_LLM_STREAM_CHUNK_INDEX = 'llm.stream.chunk_index';
export const ATTR_LLM_STREAM_BYTES_RECEIVED = 'llm.stream.bytes_received';
export const ATTR_LLM_STREAM_CHUNKS = 'llm.stream.chunks';
export const ATTR_LLM_STREAM_LINES_DROPPED = 'llm.stream.lines_dropped';

// --- ours: retries -----------------------------------------------------------------------------
export const ATTR_LLM_RETRY_ATTEMPTS = 'llm.retry.attempts';
export const ATTR_LLM_RETRY_DELAY_MS = 'llm.retry.delay_ms';
export const ATTR_LLM_RETRY_REASON = 'llm.retry.reason';
export const ATTR_LLM_RETRY_SOURCE = 'llm.retry.source';
export const ATTR_LLM_RETRY_SKIPPED = 'llm.retry.skipped';

// --- ours: asynchronous tasks --------------------------------------------------------------------
export const ATTR_LLM_TASK_ID = 'llm.task.id';
export const ATTR_LLM_TASK_STATUS = 'llm.task.status';
export const ATTR_LLM_TASK_UNKNOWN = 'llm.task.unknown';
export const ATTR_LLM_TASK_POLLS = 'llm.task.polls';
export const ATTR_LLM_TASK_DURATION_S = 'llm.task.duration_s';
export const ATTR_LLM_TASK_PROGRESS = 'llm.task.progress';

// --- ours: self-monitoring -----------------------------------------------------------------------
export const ATTR_LLM_FAILURE_STAGE = 'llm.failure.stage';

// --- events ------------------------------------------------------------------------------------
export const EVENT_LLM_STREAM_ERROR = 'llm.stream.error';
export const EVENT_LLM_STREAM_TRUNCATED = 'llm.stream.truncated';
export const EVENT_LLM_RETRY = 'llm.retry';
export const EVENT_LLM_TASK_COMPLETED = 'llm.task.completed';

// --- metrics -----------------------------------------------------------------------------------
export const METRIC_HTTP_CLIENT_REQUEST_DURATION = 'http.client.request.duration';
export const METRIC_GEN_AI_CLIENT_OPERATION_DURATION = 'gen_ai.client.operation.duration';
export const METRIC_GEN_AI_CLIENT_TOKEN_USAGE = 'gen_ai.client.token.usage';
export const METRIC_GEN_AI_CLIENT_TIME_TO_FIRST_CHUNK = 'gen_ai.client.operation.time_to_first_chunk';
export const METRIC_LLM_CLIENT_RETRIES = 'llm.client.retries';
export const METRIC_LLM_TELEMETRY_FAILURES = 'llm.telemetry.failures';
export const METRIC_LLM_TASK_DURATION = 'llm.task.duration';
export const METRIC_LLM_TASK_POLLS = 'llm.task.polls';

// --- well-known values -------------------------------------------------------------------------
export const ERROR_PHASE_IMMEDIATE = 'immediate';
export const ERROR_PHASE_MID_STREAM = 'mid_stream';
export const ERROR_TYPE_STREAM_TRUNCATED = 'stream_truncated';
/** A complete 2xx JSON response of an LLM call that does not decode or parse as a JSON object. */
export const ERROR_TYPE_INVALID_RESPONSE_BODY = 'invalid_response_body';
/** semconv fallback when no better error.type exists. */
export const ERROR_TYPE_OTHER = '_OTHER';
export const RETRY_SOURCE_POLICY = 'policy';
export const RETRY_SOURCE_RETRY_AFTER = 'retry-after';
export const RETRY_SOURCE_SDK = 'sdk';
/** An SDK's unannounced resend, linked by endpoint and body digest (src/inferred-retries/). */
export const RETRY_SOURCE_INFERRED = 'inferred';
export const RETRY_SKIPPED_BODY_TOO_LARGE = 'body_too_large';
export const RETRY_SKIPPED_BODY_NOT_REPLAYABLE = 'body_not_replayable';
export const TOKEN_TYPE_INPUT = 'input';
export const TOKEN_TYPE_OUTPUT = 'output';
export const MODEL_OTHER = '_OTHER';
/** error.type of a failed or expired task whose body names no code: `task_failed`, `task_expired`. */
export const ERROR_TYPE_TASK_PREFIX = 'task_';

/** Bucket boundaries from the semantic conventions. */
export const HTTP_DURATION_BUCKETS_S = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
] as const;
export const GEN_AI_DURATION_BUCKETS_S = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
] as const;
export const GEN_AI_TOKEN_BUCKETS = [
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
] as const;

// --- ours: spend and rate-limit headroom (issue 20; src/spend/) ----------------------------------
/** The call's cost in USD, on the operation span. */
export const ATTR_LLM_USAGE_COST = 'llm.usage.cost';
/** Where `llm.usage.cost` came from: `provider` (reported by the API) or `price_table` (computed). */
export const ATTR_LLM_USAGE_COST_SOURCE = 'llm.usage.cost_source';
/** `requests`, `tokens`, `input_tokens` or `output_tokens`. */
export const ATTR_LLM_RATE_LIMIT_KIND = 'llm.rate_limit.kind';
export const METRIC_LLM_CLIENT_COST = 'llm.client.cost';
export const METRIC_LLM_CLIENT_RATE_LIMIT_REMAINING = 'llm.client.rate_limit.remaining';
export const METRIC_LLM_CLIENT_RATE_LIMIT_LIMIT = 'llm.client.rate_limit.limit';
export const COST_SOURCE_PROVIDER = 'provider';
export const COST_SOURCE_PRICE_TABLE = 'price_table';
