/** The slice of the Statera REST API the demo uses, over global fetch. */

export type Status = 'running' | 'waiting' | 'completed' | 'failed' | 'cancelled';

export const TERMINAL: ReadonlySet<Status> = new Set(['completed', 'failed', 'cancelled']);

export interface WorkflowView {
  id: string;
  type: string;
  status: Status;
  state: unknown;
  context: any;
  input: any;
  output: any;
  error: unknown;
  version: number;
}

export interface HistoryRecord {
  kind: string;
  data: any;
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class StateraApi {
  constructor(
    private readonly baseUrl: string,
    private readonly apiKey: string,
    private readonly timeoutMs = 10_000,
  ) {}

  async health(): Promise<void> {
    await this.call('GET', '/health');
  }

  /** Any authenticated principal may read the definitions: a refused key shows here, before anything starts. */
  async definitions(): Promise<void> {
    await this.call('GET', '/v1/definitions');
  }

  /**
   * Starts a workflow. The Idempotency-Key makes a retry after a lost answer (or a rerun of
   * the same plan) return the workflow already started instead of a second one; a start
   * the server is still processing (409) or an outage is retried with the same key.
   */
  async start(body: { type: string; workflowId: string; input: unknown }, idempotencyKey: string): Promise<WorkflowView> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.call<WorkflowView>('POST', '/v1/workflows', body, { 'idempotency-key': idempotencyKey });
      } catch (err) {
        const retryable = !(err instanceof ApiError) || err.status === 409 || err.status >= 500;
        if (!retryable || attempt >= 5) throw err;
        await new Promise((r) => setTimeout(r, 250 * attempt));
      }
    }
  }

  /** Undefined while the workflow does not exist yet (a child its parent has not started). */
  async get(id: string): Promise<WorkflowView | undefined> {
    try {
      return await this.call<WorkflowView>('GET', `/v1/workflows/${encodeURIComponent(id)}`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return undefined;
      throw err;
    }
  }

  /** False when the state no longer accepts the event (409): someone, or a timer, moved it on. */
  async signal(id: string, event: { type: string; [field: string]: unknown }): Promise<boolean> {
    try {
      await this.call('POST', `/v1/workflows/${encodeURIComponent(id)}/events`, event);
      return true;
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) return false;
      throw err;
    }
  }

  /** Asks for the workflow's cancel path; a 409 (it ended, or its state refuses a cancel) is thrown as ApiError. */
  async cancel(id: string, reason: string): Promise<void> {
    await this.call('POST', `/v1/workflows/${encodeURIComponent(id)}/cancel`, { reason });
  }

  /** The open tasks of one workflow this principal may see. */
  async openTasks(workflowId: string): Promise<{ id: string; decisions: string[] }[]> {
    return (await this.call<{ items: { id: string; decisions: string[] }[] }>('GET', `/v1/tasks?workflow=${encodeURIComponent(workflowId)}&status=open`)).items;
  }

  /** `refused` (403: another group, or the four-eyes rule) lets the next reviewer try; `gone` (404/409): decided or closed. */
  async complete(taskId: string, decision: string, data: Record<string, unknown>): Promise<'done' | 'refused' | 'gone'> {
    try {
      await this.call('POST', `/v1/tasks/${taskId}/complete`, { decision, data });
      return 'done';
    } catch (err) {
      if (err instanceof ApiError && err.status === 403) return 'refused';
      if (err instanceof ApiError && (err.status === 404 || err.status === 409)) return 'gone';
      throw err;
    }
  }

  async history(id: string): Promise<HistoryRecord[]> {
    return (await this.call<{ items: HistoryRecord[] }>('GET', `/v1/workflows/${encodeURIComponent(id)}/history`)).items;
  }

  private async call<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    let res: Response;
    // Over the key's rate limit (429): wait as told and send it again; nothing was done.
    for (let attempt = 1; ; attempt++) {
      res = await fetch(this.baseUrl + path, {
        method,
        headers: { accept: 'application/json', authorization: `Bearer ${this.apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      if (res.status !== 429 || attempt >= 20) break;
      await res.arrayBuffer();
      await new Promise((r) => setTimeout(r, Math.max(1, Number(res.headers.get('retry-after')) || 1) * 1000));
    }
    const text = await res.text();
    const parsed: any = text ? safeJson(text) : undefined;
    if (!res.ok) throw new ApiError(res.status, `${method} ${path}: ${res.status} ${parsed?.detail ?? parsed?.title ?? text.slice(0, 200)}`);
    return parsed as T;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** `awaitingSettlement`, or `orderOpen.working` for a nested state: the key the driver's table uses. */
export function statePath(state: unknown): string {
  if (typeof state === 'string') return state;
  if (state && typeof state === 'object') {
    const [key, inner] = Object.entries(state)[0] ?? [];
    if (key !== undefined) return inner === undefined || (typeof inner === 'object' && inner && !Object.keys(inner).length) ? key : `${key}.${statePath(inner)}`;
  }
  return String(state);
}

/** Runs `fn` over `items`, at most `limit` at a time: enough to be quick without swamping the API. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
