/**
 * The command line's options and help texts, in one place so that `llm-otel --help` and each
 * command's `--help` list every option and every scenario: each command's `parseArgs` options
 * come from here, and the type system makes every option carry a help line. Pure strings; no I/O,
 * and nothing heavy imported (main.ts loads this before any command).
 */
import { NATIVE_ROUTES } from '../gateway/native.ts';
import { SCENARIO_DESCRIPTIONS, SCENARIOS } from '../gateway/scenarios.ts';
import { TASK_SCENARIOS } from '../gateway/tasks.ts';

interface ParseOption {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly default?: string | boolean;
}

export const GATEWAY_OPTIONS = {
  port: { type: 'string', default: '8787' },
  host: { type: 'string', default: '127.0.0.1' },
  'fail-rate': { type: 'string', default: '0' },
  scenarios: { type: 'string' },
  'scenario-file': { type: 'string' },
  seed: { type: 'string' },
  'stream-chunks': { type: 'string' },
  'chunk-delay-ms': { type: 'string' },
  'first-chunk-delay-ms': { type: 'string' },
  'end-gap-ms': { type: 'string' },
  'task-polls': { type: 'string' },
  quiet: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies Record<string, ParseOption>;

/** Per option: its argument's name (empty for flags) and what it does. */
const GATEWAY_HELP: Record<keyof typeof GATEWAY_OPTIONS, readonly [string, string]> = {
  port: ['N', 'port to listen on (default 8787; 0 = any free port)'],
  host: ['H', 'address to bind (default 127.0.0.1)'],
  'fail-rate': [
    'R',
    '0..1, share of requests without an explicit scenario that get a random failing one (default 0)',
  ],
  scenarios: ['A,B', 'pool for --fail-rate (default: every failing scenario except stall)'],
  'scenario-file': [
    'F',
    'JSON array of rules: [{"match":{"model":"m","path":"/v1/chat/completions"},"scenario":"503"}]',
  ],
  seed: ['N', 'seed for --fail-rate draws (default: random)'],
  'stream-chunks': ['N', 'content chunks per stream (default 5)'],
  'chunk-delay-ms': ['N', 'delay between stream pieces (default 0)'],
  'first-chunk-delay-ms': ['N', 'delay for slow-first-chunk and hang-then-close (default 500)'],
  'end-gap-ms': [
    'N',
    "delay between a stream's last event and the end of its body, sent separately (default 1)",
  ],
  'task-polls': ['N', 'polls an asynchronous task takes to finish (default 3; per task: x-mock-task-polls)'],
  quiet: ['', 'do not log requests to stderr'],
  help: ['', 'show this help'],
};

export const DEMO_OPTIONS = {
  requests: { type: 'string', default: '40' },
  concurrency: { type: 'string', default: '4' },
  'fail-rate': { type: 'string', default: '0.3' },
  seed: { type: 'string', default: '1' },
  stream: { type: 'boolean', default: false },
  providers: { type: 'string', default: 'openai,anthropic,gemini,ollama,bedrock' },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies Record<string, ParseOption>;

const DEMO_HELP: Record<keyof typeof DEMO_OPTIONS, readonly [string, string]> = {
  requests: ['N', 'OpenAI-compatible chat completions to make (default 40)'],
  concurrency: ['N', 'calls in flight at once (default 4)'],
  'fail-rate': ['R', '0..1, share of the other chat completions that get a random failure (default 0.3)'],
  seed: ['N', "seed for the gateway's random failures (default 1)"],
  stream: ['', 'stream every chat completion (default: every other one streams)'],
  providers: [
    'LIST',
    'providers to call, comma-separated (default openai,anthropic,gemini,ollama,bedrock); openai is the chat-completion traffic and the image task, the others a few native calls each',
  ],
  help: ['', 'show this help'],
};

export const DEMO_PROVIDERS = ['openai', 'anthropic', 'gemini', 'ollama', 'bedrock'] as const;

function optionLines(
  options: Record<string, ParseOption>,
  help: Record<string, readonly [string, string]>,
): string[] {
  const heads = Object.keys(options).map((name) => {
    const short = options[name]?.short;
    const arg = help[name]?.[0];
    return `${short ? `-${short}, ` : ''}--${name}${arg ? ` ${arg}` : ''}`;
  });
  const width = Math.max(...heads.map((head) => head.length)) + 2;
  return Object.keys(options).map((name, i) => `  ${(heads[i] ?? '').padEnd(width)}${help[name]?.[1] ?? ''}`);
}

/** Words wrapped to lines of at most `width` characters, each indented. */
function wrap(words: readonly string[], width = 96, indent = '  '): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    if (line !== '' && indent.length + line.length + 1 + word.length > width) {
      lines.push(`${indent}${line}`);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(`${indent}${line}`);
  return lines;
}

const STATUS_FORM = /^\d{3}(?:-cheapai|-cheapai-typed)?$/;
const STATUSES = SCENARIOS.filter((name) => /^\d{3}$/.test(name));
const SCENARIO_WORDS = ['<status>', '<status>-cheapai', '<status>-cheapai-typed']
  .concat(SCENARIOS.filter((name) => !STATUS_FORM.test(name)))
  .map((name, i, all) => (i < all.length - 1 ? `${name},` : name));

const TASK_ROWS = Object.entries(TASK_SCENARIOS).map(([name, text]) => `| \`${name}\` | ${text} |`);

export const GATEWAY_USAGE = `Usage: llm-otel gateway [options]

A mock LLM gateway that injects faults, speaking each provider's own wire format. Routes:
${NATIVE_ROUTES.map(([provider, routes]) => `  ${provider.padEnd(18)}${routes}`).join('\n')}

Options:
${optionLines(GATEWAY_OPTIONS, GATEWAY_HELP).join('\n')}

Per request: header "x-mock-scenario: NAME" picks a scenario; "x-mock-scenario-sequence: 503,503,ok" with
"x-mock-sequence-id: ID" gives the n-th request with that ID the n-th entry (then the last one again);
"x-mock-task-polls: N" sets the polls of one task. Every response carries "x-request-id: req_..." and
"x-mock-scenario: NAME" (the scenario served); Anthropic routes also "request-id", Bedrock routes
"x-amzn-requestid".

Scenarios (the same names on every route; native routes answer them in the provider's own shapes:
its error bodies and codes, its stream framing and terminal event, its in-stream error):
${SCENARIO_DESCRIPTIONS}

Task scenarios (x-mock-scenario on a task creation: POST /v1/videos, /v1*/images/generations with "async": true):
| scenario | task |
|---|---|
${TASK_ROWS.join('\n')}
`;

export const DEMO_USAGE = `Usage: llm-otel demo [options]

Sends LLM calls through llm-otel-dispatcher, with its retry interceptor on, to an in-process mock
gateway that injects failures: OpenAI-compatible chat completions (streaming and not) through the
openai SDK and an asynchronous image task, then native calls to the gateway's Anthropic Messages
(@anthropic-ai/sdk), Gemini (@google/genai), Ollama (ollama) and Bedrock Converse (fetch) routes,
each with a success and a telling failure. Prints the calls by outcome as the telemetry recorded
them, and what each native call returned to the application.
Spans go to OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set, else one summary line per call is
printed to stderr (LLM_OTEL_CONSOLE=off hides them).

Options:
${optionLines(DEMO_OPTIONS, DEMO_HELP).join('\n')}
`;

export const MAIN_USAGE = `Usage: llm-otel <command> [options]

Commands:
  gateway   run the fault-injecting mock LLM gateway: OpenAI-compatible, Anthropic, Gemini/Vertex AI,
            Ollama and Bedrock routes (llm-otel gateway --help for routes and the scenario table)
  demo      run the demo against the mock gateway (llm-otel demo --help)

llm-otel gateway options:
${optionLines(GATEWAY_OPTIONS, GATEWAY_HELP).join('\n')}

llm-otel demo options:
${optionLines(DEMO_OPTIONS, DEMO_HELP).join('\n')}

Gateway scenarios (header x-mock-scenario; <status> is one of ${STATUSES.join(', ')}):
${wrap(SCENARIO_WORDS).join('\n')}
Task scenarios (task creations): ${Object.keys(TASK_SCENARIOS).join(', ')}
`;
