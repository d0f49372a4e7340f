/** Thrown by a bench for bad options; the runner prints the message and exits with status 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * Parses `--flag` and `--name=value` options against the known names.
 * @throws UsageError naming the unknown option and listing the known ones.
 */
export function parseOptions(args: readonly string[], known: Readonly<Record<string, string>>, bench: string): Map<string, string | true> {
  const found = new Map<string, string | true>();
  for (const arg of args) {
    const m = /^--([a-z][a-z0-9-]*)(?:=(.*))?$/.exec(arg);
    if (!m || !(m[1]! in known)) {
      const list = Object.entries(known)
        .map(([k, help]) => `  --${k}  ${help}`)
        .join('\n');
      throw new UsageError(`Unknown option '${arg}' for bench ${bench}; known options:\n${list}`);
    }
    found.set(m[1]!, m[2] ?? true);
  }
  return found;
}
