/** RFC 9457 problem details, as the API words them; `errors` lists the fields at fault. */
export interface Problem {
  type?: string;
  title: string;
  status: number;
  detail?: string;
  errors?: { field: string; message: string }[];
  [extension: string]: unknown;
}

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title);
  }
}

export interface Principal {
  id: string;
  displayName: string;
  roles: string[];
  groups: string[];
  tenant: string;
}

const KEY_STORAGE = 'statera.apiKey';

/** The API key lives in sessionStorage: gone with the tab, never in a cookie the server could be tricked with. */
export const session = {
  key: (): string | null => sessionStorage.getItem(KEY_STORAGE),
  save: (key: string) => sessionStorage.setItem(KEY_STORAGE, key),
  clear: () => sessionStorage.removeItem(KEY_STORAGE),
};

/** Called when the API answers 401 to a stored key (revoked while the page was open). */
let onUnauthenticated: () => void = () => undefined;
export function whenUnauthenticated(handler: () => void): void {
  onUnauthenticated = handler;
}

async function problemOf(res: Response): Promise<Problem> {
  const text = await res.text();
  try {
    const body = JSON.parse(text) as Partial<Problem>;
    if (body && typeof body.title === 'string') return { ...body, title: body.title, status: res.status };
  } catch {
    // not JSON: fall through to a problem made of the status line
  }
  return { title: res.statusText || `HTTP ${res.status}`, status: res.status, detail: text.slice(0, 300) || undefined };
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  /** The key to use instead of the stored one (signing in). */
  key?: string;
  accept?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

async function send(path: string, options: RequestOptions): Promise<Response> {
  const key = options.key ?? session.key();
  let res: Response;
  try {
    res = await fetch(path, {
      method: options.method ?? 'GET',
      headers: {
        accept: options.accept ?? 'application/json',
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...options.headers,
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    });
  } catch (err) {
    throw new ApiError({ title: 'The server cannot be reached', status: 0, detail: (err as Error).message });
  }
  if (!res.ok) {
    const problem = await problemOf(res);
    if (res.status === 401 && options.key === undefined) onUnauthenticated();
    throw new ApiError(problem);
  }
  return res;
}

export async function api<T = any>(path: string, options: RequestOptions = {}): Promise<T> {
  const res = await send(path, options);
  return (res.status === 204 ? undefined : await res.json()) as T;
}

/** The body with the status it came with: an operator action answers 200 (done) or 202 (kept for a second operator). */
export async function apiWithStatus<T = any>(path: string, options: RequestOptions = {}): Promise<{ status: number; body: T }> {
  const res = await send(path, options);
  return { status: res.status, body: (res.status === 204 ? undefined : await res.json()) as T };
}

/** A response whose body the caller reads as it arrives (a server-sent event stream); refusals throw as above. */
export function apiStream(path: string, accept: string, signal: AbortSignal): Promise<Response> {
  return send(path, { accept, signal });
}

/** SVG, HTML: documents the API renders, fetched with the key (a plain link could not send it). */
export async function apiText(path: string, accept: string): Promise<string> {
  return (await send(path, { accept })).text();
}

/** `?a=1&b=2` from the set values only. */
export function queryString(params: Record<string, string | number | boolean | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export const enc = encodeURIComponent;
