/** Progress lines for long CLI work, on stderr so stdout stays clean for --json. */
export function stageReporter(write: (text: string) => void = (t) => process.stderr.write(t + '\n')): (stage: string) => void {
  const started = Date.now();
  return (stage: string) => write(`  [${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${stage}`);
}
