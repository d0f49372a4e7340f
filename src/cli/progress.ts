/** Progress lines for long CLI work, on stderr so stdout stays clean for --json. */
export function stageReporter(write: (text: string) => void = (t) => process.stderr.write(t + '\n')): (stage: string) => void {
  const started = Date.now();
  return (stage: string) => write(`  [${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${stage}`);
}

/**
 * A progress bar with rows per second, redrawn in place on stderr when it is a
 * terminal (at most ten times a second) and written as a line every few seconds otherwise.
 */
export function rowsProgress(label: string, stream: NodeJS.WriteStream = process.stderr): { update(p: { rows: number; total: number | null; seconds: number }): void; done(): void } {
  const tty = stream.isTTY === true;
  let last = -Infinity;
  let drawn = false;
  const render = (p: { rows: number; total: number | null; seconds: number }) => {
    const rate = p.seconds > 0 ? Math.round(p.rows / p.seconds) : 0;
    const counts = `${p.rows.toLocaleString('en-US')}${p.total === null ? '' : ` / ${p.total.toLocaleString('en-US')}`} rows, ${rate.toLocaleString('en-US')} rows/s`;
    if (p.total === null || p.total === 0) return `${label} ${counts}`;
    const share = Math.min(1, p.rows / p.total);
    const width = 30;
    const filled = Math.round(share * width);
    return `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(share * 100).toFixed(0).padStart(3)}% ${counts}`;
  };
  let latest: { rows: number; total: number | null; seconds: number } | undefined;
  return {
    update(p) {
      latest = p;
      const every = tty ? 0.1 : 5;
      if (p.seconds - last < every && !(p.total !== null && p.rows === p.total)) return;
      last = p.seconds;
      if (tty) {
        stream.write(`\r${render(p)}\x1b[K`);
        drawn = true;
      } else stream.write(`  ${render(p)}\n`);
    },
    done() {
      if (tty && drawn) stream.write('\n');
      else if (!tty && latest && latest.seconds - last > 0) stream.write(`  ${render(latest)}\n`);
    },
  };
}
