import { createHash } from 'node:crypto';

/**
 * mulberry32: tiny, seedable, good enough for fault rolls. Math.random is banned in the
 * sandbox because a failing fault-injection run must be reproducible from its seed.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** JSON with sorted keys, so that key order never changes a fingerprint or a score. */
export function stableStringify(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
}

export function fingerprint(value: unknown): string {
  return createHash('sha256').update(stableStringify(value)).digest('hex');
}

/** Deterministic 32-bit hash of any JSON value (scores must depend only on the input). */
export function hash32(value: unknown): number {
  return createHash('sha256').update(stableStringify(value)).digest().readUInt32BE(0);
}

/** Seed derived from a name so each partner gets a distinct but stable default stream. */
export function seedFromName(name: string): number {
  return hash32(name);
}
