import { Agent, request } from 'node:http';

/**
 * A minimal JSON client over `node:http` with a keep-alive agent, so each call
 * reuses a socket and the client adds as little as possible to what is measured.
 */
export class BenchHttpClient {
  readonly #agent: Agent;
  readonly #host: string;
  readonly #port: number;

  constructor(baseUrl: string, maxSockets = 8) {
    const url = new URL(baseUrl);
    this.#host = url.hostname.replace(/^\[|\]$/g, '');
    this.#port = Number(url.port);
    this.#agent = new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  }

  /** Sends a request; resolves with the status and the body text. */
  send(method: string, path: string, body?: string | Buffer): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = {};
      if (body !== undefined) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = Buffer.byteLength(body);
      }
      const req = request({ host: this.#host, port: this.#port, method, path, agent: this.#agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  /** POSTs a JSON body (an object, or text already serialised); throws unless the answer is 200. */
  async post<T = unknown>(path: string, body: unknown): Promise<T> {
    const text = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
    return this.#ok<T>('POST', path, await this.send('POST', path, text));
  }

  async get<T = unknown>(path: string): Promise<T> {
    return this.#ok<T>('GET', path, await this.send('GET', path));
  }

  close(): void {
    this.#agent.destroy();
  }

  #ok<T>(method: string, path: string, res: { status: number; text: string }): T {
    if (res.status !== 200) throw new Error(`${method} ${path} answered ${res.status}: ${res.text.slice(0, 300)}`);
    return (res.text === '' ? {} : JSON.parse(res.text)) as T;
  }
}
