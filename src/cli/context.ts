import { loadConfig, type OrchardConfig } from '../core/config.js';
import { createOrchard, type Platform } from '../orchard.js';
import { Orchard } from '../sdk/orchard-client.js';

/** What every command gets: the configuration, and the platform or client opened on demand. */
export interface CliContext {
  readonly config: OrchardConfig;
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** Opens the stores in this process (for commands that must run locally). */
  platform(): Promise<Platform>;
  /** The SDK: remote when ORCHARD_URL is set, embedded otherwise. */
  client(): Promise<Orchard>;
  close(): Promise<void>;
}

export function createCliContext(env: NodeJS.ProcessEnv = process.env): CliContext {
  const config = loadConfig(env);
  let platform: Promise<Platform> | undefined;
  let client: Promise<Orchard> | undefined;
  return {
    config,
    out: (text) => process.stdout.write(text + '\n'),
    err: (text) => process.stderr.write(text + '\n'),
    platform: () => (platform ??= createOrchard(config)),
    client: () =>
      (client ??= config.url ? Promise.resolve(Orchard.remote(config.url, config.token)) : (platform ??= createOrchard(config)).then((p) => Orchard.embedded(p))),
    async close() {
      if (client) await (await client).close();
      if (platform) await (await platform).close();
    },
  };
}
