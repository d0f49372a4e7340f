import { OrchardError, type ErrorCode } from '../core/errors.js';

/** JSON calls to a server's `/api/v1`, with its `{ code, message, details }` errors turned back into `OrchardError`s. */
export interface ApiClient {
  readonly baseUrl: string;
  /** Authorization header (when a token is set) plus `extra`. */
  headers(extra?: Record<string, string>): Record<string, string>;
  call<T>(method: string, path: string, body?: unknown): Promise<T>;
  /** Reads a response of a call made with `fetch` directly (uploads, downloads). */
  parse<T>(response: Response, method: string, path: string): Promise<T>;
}

export function apiClient(baseUrl: string, token: string | undefined): ApiClient {
  const headers = (extra: Record<string, string> = {}): Record<string, string> => ({ ...(token ? { authorization: `Bearer ${token}` } : {}), ...extra });

  async function parse<T>(response: Response, method: string, path: string): Promise<T> {
    const text = await response.text();
    let json: unknown;
    try {
      json = text === '' ? {} : JSON.parse(text);
    } catch {
      throw new OrchardError('INTERNAL', `The server at ${baseUrl} answered ${method} ${path} with ${response.status} and a body that is not JSON: ${text.slice(0, 200)}`);
    }
    if (!response.ok) {
      const e = json as { code?: ErrorCode; message?: string; details?: Record<string, unknown> };
      throw new OrchardError(e.code ?? 'INTERNAL', e.message ?? `HTTP ${response.status} from ${method} ${path}`, { details: e.details });
    }
    return json as T;
  }

  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${baseUrl}/api/v1${path}`, {
        method,
        headers: headers(body === undefined ? {} : { 'content-type': 'application/json' }),
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (cause) {
      throw new OrchardError('STORE_UNAVAILABLE', `Cannot reach the Orchard server at ${baseUrl} (${(cause as Error).message}); start it with \`orchard server\` or fix ORCHARD_URL.`, { cause });
    }
    return parse<T>(response, method, path);
  }

  return { baseUrl, headers, call, parse };
}
