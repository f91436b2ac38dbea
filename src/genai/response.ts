/**
 * GenAI response attributes from a non-streaming JSON body (chat/completions, completions,
 * embeddings, responses): id, model, finish reasons, token usage and, when content capture is on,
 * the output messages. Pure; streamed responses are handled by src/sse/.
 */

export interface GenAiResponse {
  readonly id: string | undefined;
  readonly model: string | undefined;
  readonly finishReasons: readonly string[];
  readonly inputTokens: number | undefined;
  readonly outputTokens: number | undefined;
  readonly outputMessages: string | undefined;
  /** The usage object as sent (provider-reported cost, cached input tokens: src/spend/). */
  readonly usage?: unknown;
}

export function parseGenAiResponse(body: string, captureContent: boolean): GenAiResponse | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const record = parsed as Record<string, unknown>;
  const usage = asRecord(record.usage);
  const choices = Array.isArray(record.choices) ? record.choices : [];
  const finishReasons: string[] = [];
  for (const choice of choices) {
    const reason = asRecord(choice)?.finish_reason;
    if (typeof reason === 'string') finishReasons.push(reason);
  }
  // The Responses API reports `status` instead of finish reasons.
  if (finishReasons.length === 0 && typeof record.status === 'string' && record.object === 'response') {
    finishReasons.push(record.status);
  }
  return {
    // An empty id or model (Azure's content-filter placeholders) names nothing.
    id: typeof record.id === 'string' && record.id !== '' ? record.id : undefined,
    model: typeof record.model === 'string' && record.model !== '' ? record.model : undefined,
    finishReasons,
    inputTokens: tokenCount(usage?.prompt_tokens ?? usage?.input_tokens),
    outputTokens: tokenCount(usage?.completion_tokens ?? usage?.output_tokens),
    usage,
    outputMessages: captureContent ? outputContent(record, choices) : undefined,
  };
}

function outputContent(record: Record<string, unknown>, choices: unknown[]): string | undefined {
  if (choices.length > 0) {
    return JSON.stringify(
      choices.map((choice) => asRecord(choice)?.message ?? asRecord(choice)?.text ?? null),
    );
  }
  return record.output === undefined ? undefined : JSON.stringify(record.output);
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
}

function tokenCount(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}
