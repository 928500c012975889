import type { DataSource } from 'typeorm';
import type { DefinitionRegistry } from '../definition/registry';
import { query } from '../store/sql';

/** A (type, version) that live instances use and this process does not register. */
export interface UncoveredVersion {
  type: string;
  version: number;
  instances: number;
}

/** One look at the live instances is trusted this long: a readiness probe every few seconds costs one query a minute. */
const FRESH_MS = 30_000;

/**
 * Whether this process can run every live instance: a version removed from the deployment
 * strands its instances silently (their timers and results fail), so a process that does not
 * register one is not ready, and says so once when the set changes.
 */
export class DefinitionCoverage {
  private checked?: { at: number; uncovered: UncoveredVersion[] };
  private said = '';

  constructor(
    private readonly db: DataSource,
    private readonly registry: DefinitionRegistry,
    private readonly log: (message: string, fields: Record<string, unknown>) => void,
  ) {}

  async uncovered(): Promise<UncoveredVersion[]> {
    if (this.checked && Date.now() - this.checked.at < FRESH_MS) return this.checked.uncovered;
    const rows = await query<{ type: string; version: number; instances: string }>(
      this.db,
      `SELECT type, definition_version AS version, count(*) AS instances FROM workflow_instance
        WHERE status IN ('running', 'waiting') GROUP BY type, definition_version ORDER BY type, definition_version`,
    );
    const registered = new Set(this.registry.all().map((d) => `${d.type}@${d.version}`));
    const uncovered = rows.filter((r) => !registered.has(`${r.type}@${r.version}`)).map((r) => ({ type: r.type, version: Number(r.version), instances: Number(r.instances) }));
    this.checked = { at: Date.now(), uncovered };
    const names = describe(uncovered);
    if (names && names !== this.said) this.log('live instances use definitions this process does not register: not ready', { uncovered: names });
    this.said = names;
    return uncovered;
  }

  /** Throws, naming them, while live instances use versions this process does not register. */
  async assertCovered(): Promise<{ registered: number }> {
    const uncovered = await this.uncovered();
    if (uncovered.length > 0) throw new Error(`live instances use definitions this process does not register: ${describe(uncovered)}`);
    return { registered: this.registry.all().length };
  }
}

function describe(uncovered: readonly UncoveredVersion[]): string {
  return uncovered.map((u) => `${u.type}@${u.version} (${u.instances} live)`).join(', ');
}
