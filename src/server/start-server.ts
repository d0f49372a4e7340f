import type { FastifyInstance } from 'fastify';
import { OrchardError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Platform } from '../orchard.js';
import { buildServer } from './app.js';
import type { ServingHub } from '../serving/serving-hub.js';

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export interface RunningServer {
  readonly app: FastifyInstance;
  readonly url: string;
  /** Stops accepting requests, finishes the ones in flight, then returns. */
  close(): Promise<void>;
}

/**
 * Starts the HTTP server. Without API tokens it only listens on loopback: binding
 * elsewhere requires auth, so nobody on the network can write unannounced.
 */
export async function startServer(platform: Platform, options: { host: string; port: number; logger: Logger; serving?: ServingHub }): Promise<RunningServer> {
  const loopbackOnly = isLoopback(options.host);
  if (!loopbackOnly && (await platform.auth.activeTokenCount()) === 0) {
    throw new OrchardError(
      'CONFIG_ERROR',
      `Refusing to listen on ${options.host} without API tokens: anyone who can reach it could read and write. Create one with \`orchard token create --role admin\`, or listen on 127.0.0.1.`,
    );
  }
  const app = await buildServer(platform, { logger: options.logger, loopbackOnly, ...(options.serving ? { serving: options.serving } : {}) });
  try {
    await app.listen({ host: options.host, port: options.port });
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new OrchardError('CONFIG_ERROR', `Port ${options.port} on ${options.host} is taken; stop what uses it or pass --port.`, { cause });
    if (code === 'EADDRNOTAVAIL') throw new OrchardError('CONFIG_ERROR', `This machine has no address ${options.host}; pass --host 127.0.0.1 or one of its addresses.`, { cause });
    throw cause;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return { app, url: `http://${host}:${port}`, close: () => app.close() };
}
