/**
 * Reads the Prometheus text exposition format (what the collector's prometheus exporter serves)
 * into samples, and polls an endpoint until the samples are as expected.
 */
import { sleep } from './processes.ts';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = SAMPLE_LINE.exec(line.trim());
    if (match === null) continue;
    const [, name = '', labelText = '', value = ''] = match;
    const labels: Record<string, string> = {};
    for (const [, key = '', raw = ''] of labelText.matchAll(LABEL)) {
      labels[key] = raw.replace(/\\n/g, '\n').replace(/\\(["\\])/g, '$1');
    }
    samples.push({ name, labels, value: Number(value) });
  }
  return samples;
}

/** Polls `url` until `ready` holds for a scrape's samples; returns them. */
export async function scrapeUntil(
  url: string,
  ready: (samples: Sample[]) => boolean,
  timeoutMs: number,
): Promise<Sample[]> {
  const deadline = Date.now() + timeoutMs;
  let last: Sample[] = [];
  while (Date.now() < deadline) {
    const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    last = parsePrometheusText(await response.text());
    if (ready(last)) return last;
    await sleep(250);
  }
  const seen = [...new Set(last.map((sample) => sample.name))].join(', ');
  throw new Error(`the scrape of ${url} was not as expected within ${timeoutMs} ms; names seen: ${seen}`);
}
