/** `llm-otel demo`: placeholder until the demo lands. */
export async function run(_args: readonly string[]): Promise<number> {
  process.stderr.write('demo: not implemented yet\n');
  return 1;
}
