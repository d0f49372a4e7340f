/** How a webhook delivery went: delivered, or given up after its attempts. */
export interface DeliveryResult {
  readonly url: string;
  readonly delivered: boolean;
  readonly attempts: number;
  /** The last HTTP status, when a response came. */
  readonly status: number | null;
  readonly error: string | null;
}

export interface DeliveryOptions {
  /** Attempts in all, the first included (default 4). */
  readonly attempts?: number;
  /** Wait before the second attempt; doubles after each (default 500 ms). */
  readonly baseDelayMs?: number;
  /** Per-attempt time limit (default 5 s). */
  readonly timeoutMs?: number;
  /** Waiting, injected so tests can record the delays instead of sleeping them. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * POSTs a JSON payload, retrying network errors, timeouts, 429 and 5xx with exponential
 * backoff (base, 2×base, 4×base, …). Other 4xx answers are not retried: the receiver
 * refused this payload and will refuse it again. Never throws.
 */
export async function deliverWebhook(url: string, payload: unknown, options: DeliveryOptions = {}): Promise<DeliveryResult> {
  const attempts = options.attempts ?? 4;
  const base = options.baseDelayMs ?? 500;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let status: number | null = null;
  let error: string | null = null;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (attempt > 1) await sleep(base * 2 ** (attempt - 2));
    try {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'user-agent': 'orchard-alerts' }, body: JSON.stringify(payload), signal: AbortSignal.timeout(options.timeoutMs ?? 5000) });
      status = res.status;
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return { url, delivered: true, attempts: attempt, status, error: null };
      error = `HTTP ${res.status}`;
      if (res.status < 500 && res.status !== 429) return { url, delivered: false, attempts: attempt, status, error };
    } catch (e) {
      status = null;
      error = (e as Error).message;
    }
  }
  return { url, delivered: false, attempts, status, error };
}
