/**
 * Redaction throughput (issue 16 item 4): MB/s of `redactSecrets` over whole texts, ordinary and
 * adversarial (the repetitions that made the old backtracking patterns quadratic), and of
 * `redactMessage`, which examines only what it keeps (so its rate on a 1 MiB line is the line's size
 * over the time taken, not a scan rate). Characters count as bytes (the texts are ASCII).
 *
 * bench/hot-path.ts calls `benchRedaction()`; alone: `npx node bench/redaction.ts`
 * (BENCH_QUICK=1 for shorter runs).
 */
import { pathToFileURL } from 'node:url';
import { redactMessage, redactSecrets } from '../src/redact/text.ts';

const KiB = 1024;
const MiB = 1024 * KiB;

function fill(unit: string, size: number): string {
  return unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
}

const ORDINARY = [
  'Rate limit reached for gpt-4o in organization org-AbCdEfGhIjKlMnOpQrStUvWx on tokens per min (TPM): Limit 30000, Used 29684, Requested 1022. Please try again in 1.412s. ',
  "This model's maximum context length is 128000 tokens. However, your messages resulted in 130542 tokens. ",
  'litellm.BadRequestError: AnthropicException - {"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long"}} ',
  'Please include the request ID req_0a1b2c3d4e5f67890a1b2c3d4e5f6789 in your message. model: claude-3-opus-latest, max_tokens: 4096. ',
].join('');

const WITH_SECRETS = `${ORDINARY}Incorrect API key provided: sk-proj-AbCdEf0123456789ghIJkl. Authorization: Bearer gsk_${'Gq7'.repeat(17)} api_key=opaque-1234 `;

interface Case {
  readonly name: string;
  readonly text: string;
  readonly run: (text: string) => string;
}

const whole = (text: string) => redactSecrets(text);
const kept = (text: string) => redactMessage(text, 1024);

const CASES: readonly Case[] = [
  { name: 'redactSecrets, ordinary provider text (64 KB)', text: fill(ORDINARY, 64 * KiB), run: whole },
  { name: 'redactSecrets, text with keys (64 KB)', text: fill(WITH_SECRETS, 64 * KiB), run: whole },
  { name: 'redactSecrets, adversarial -eyJ (1 MiB)', text: fill('-eyJ', MiB), run: whole },
  { name: 'redactSecrets, adversarial _eyJ (1 MiB)', text: fill('_eyJ', MiB), run: whole },
  { name: 'redactSecrets, adversarial a:a: (1 MiB)', text: fill('a:', MiB), run: whole },
  { name: 'redactSecrets, adversarial " sk-" (1 MiB)', text: fill(' sk-', MiB), run: whole },
  { name: 'redactSecrets, adversarial token= (1 MiB)', text: fill('token=', MiB), run: whole },
  { name: 'redactSecrets, adversarial Bearer (1 MiB)', text: fill('Bearer ', MiB), run: whole },
  { name: 'redactSecrets, one 1 MiB token', text: fill('Ab1', MiB), run: whole },
  { name: 'redactMessage to 1,024, adversarial -eyJ line (1 MiB)', text: fill('-eyJ', MiB), run: kept },
];

/** MB/s of `run` on `text`, best of a few rounds of repeated calls. */
function measure(c: Case, minMs: number): number {
  let sink = 0;
  // Warm up: compile the scanner before timing.
  for (let i = 0; i < 3; i++) sink += c.run(c.text).length;
  let best = 0;
  for (let round = 0; round < 3; round++) {
    let calls = 0;
    const start = performance.now();
    let elapsed = 0;
    do {
      sink += c.run(c.text).length;
      calls++;
      elapsed = performance.now() - start;
    } while (elapsed < minMs);
    best = Math.max(best, (c.text.length * calls) / 1e6 / (elapsed / 1000));
  }
  if (sink < 0) throw new Error('unreachable');
  return best;
}

export async function benchRedaction(): Promise<{ name: string; mbPerSecond: number }[]> {
  const minMs = process.env.BENCH_QUICK ? 50 : 250;
  const rows: { name: string; mbPerSecond: number }[] = [];
  for (const c of CASES) {
    rows.push({ name: c.name, mbPerSecond: Math.round(measure(c, minMs) * 10) / 10 });
    // Let timers and I/O of a surrounding bench run between cases.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return rows;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const row of await benchRedaction())
    console.log(`${row.mbPerSecond.toFixed(1).padStart(10)} MB/s  ${row.name}`);
}
