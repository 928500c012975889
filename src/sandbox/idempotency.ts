/** What a partner answered the first time a key was used; replays send exactly this. */
export interface StoredResponse {
  status: number;
  body: unknown;
  fingerprint: string;
  storedAt: number;
}

export type IdempotencyLookup =
  | { kind: 'miss' }
  | { kind: 'replay'; response: StoredResponse }
  | { kind: 'mismatch'; response: StoredResponse };

/**
 * Keys are scoped by partner + method + route pattern (not the concrete URL), so reusing a
 * key to capture a *different* hold is caught as a mismatch instead of silently applied.
 * Lookup and save happen in the same synchronous turn as the effect, so two concurrent
 * requests with one key can never both apply it.
 */
export class IdempotencyStore {
  private readonly entries = new Map<string, StoredResponse>();

  lookup(scope: string, key: string, fingerprint: string): IdempotencyLookup {
    const found = this.entries.get(this.id(scope, key));
    if (!found) return { kind: 'miss' };
    return found.fingerprint === fingerprint ? { kind: 'replay', response: found } : { kind: 'mismatch', response: found };
  }

  save(scope: string, key: string, response: StoredResponse): void {
    this.entries.set(this.id(scope, key), response);
  }

  clear(partner?: string): void {
    if (!partner) return this.entries.clear();
    for (const id of [...this.entries.keys()]) if (id.startsWith(`${partner} `)) this.entries.delete(id);
  }

  get size(): number {
    return this.entries.size;
  }

  private id(scope: string, key: string): string {
    return `${scope}\u0000${key}`;
  }
}
