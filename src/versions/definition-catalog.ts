import type { DataSource } from 'typeorm';
import type { TenantScope } from '../auth/tenant-scope';
import { jsonSchema } from '../api/definitions.presenter';
import type { WorkflowDefinition } from '../engine/definition/definition';
import type { DefinitionRegistry } from '../engine/definition/registry';
import { DomainError } from '../engine/errors/domain.error';
import { isTransient, query } from '../engine/store/sql';
import { stateLabel } from '../engine/decider/snapshot';
import { definitionHash } from '../diagrams/report';
import { buildStatechartModel, type StatechartModel } from '../diagrams/statechart-model';

export type Lifecycle = 'active' | 'deprecated' | 'retired';
export const LIFECYCLES: readonly Lifecycle[] = ['active', 'deprecated', 'retired'];

/** What a deployed version was, kept after it leaves the deployment. */
export interface StoredDescription {
  description: string | null;
  model: { type: string; version: number; rootId: string; nodes: StatechartModel['nodes']; edges: StatechartModel['edges'] };
  input: unknown;
  events: { type: string; payload: unknown }[];
  exampleInput: unknown;
}

interface Row {
  type: string;
  version: number;
  hash: string;
  deployed_hash: string;
  description: StoredDescription;
  lifecycle: Lifecycle;
  lifecycle_reason: string | null;
  lifecycle_by: string | null;
  lifecycle_at: Date | null;
  first_deployed_at: Date;
  last_deployed_at: Date;
}

export interface VersionView {
  version: number;
  lifecycle: Lifecycle;
  lifecycleReason: string | null;
  lifecycleBy: string | null;
  lifecycleAt: string | null;
  /** Registered by this process: it can start and run instances of it. */
  registered: boolean;
  /** The newest active registered version: what a start without `version` takes. */
  startDefault: boolean;
  hash: string;
  /** The registered machine differs from what was first deployed under this version (its hash): running instances may not restore. */
  changedSinceDeployed: boolean;
  firstDeployedAt: string | null;
  lastDeployedAt: string | null;
  instances: { total: number; live: number; byStatus: Record<string, number>; byState: { state: string; status: string; count: number }[] };
}

const LIVE = `('running', 'waiting', 'paused')`;
const CACHE_MS = 2000;

const described = new WeakMap<WorkflowDefinition, { hash: string; description: StoredDescription }>();

/** What is recorded of a registered definition, worked out once per definition object (the version list asks on every request). */
function describeForStorage(d: WorkflowDefinition): { hash: string; description: StoredDescription } {
  const known = described.get(d);
  if (known) return known;
  const model = buildStatechartModel(d);
  const result = {
    hash: definitionHash(d, model),
    description: {
      description: d.description ?? null,
      model: { type: model.type, version: model.version, rootId: model.rootId, nodes: model.nodes, edges: model.edges },
      input: jsonSchema(d.input),
      events: Object.entries(d.events ?? {}).map(([type, payload]) => ({ type, payload: jsonSchema(payload) })),
      exampleInput: d.exampleInput ?? null,
    },
  };
  described.set(d, result);
  return result;
}

/**
 * The versions of every definition, deployed now or before: recorded when a process that
 * registers them starts, with their lifecycle (`active`, `deprecated`, `retired`), which only
 * a platform admin changes (definitions are shared by every tenant). New starts take the
 * newest active registered version; a deprecated or retired one is refused for new starts
 * while its instances run on; a version with live instances cannot be retired.
 */
export class DefinitionCatalog {
  private cache?: { at: number; rows: Map<string, Row> };

  constructor(
    private readonly db: DataSource,
    private readonly registry: DefinitionRegistry,
    private readonly log: (message: string, fields: Record<string, unknown>) => void = () => undefined,
  ) {}

  /**
   * Records every registered version. A version first deployed with another machine keeps
   * its first description (what its instances ran on) and is reported as changed: the fix for
   * a changed machine is a new version.
   */
  async record(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.recordOnce();
        return;
      } catch (err) {
        // A process must not die of a dropped connection at boot; nothing depends on the record
        // being written now (a missing row reads as `active`), and the next start writes it.
        if (!isTransient(err)) throw err;
        if (attempt >= 5) {
          this.log('recording the deployed definitions failed; the next start records them', { error: (err as Error).message });
          return;
        }
        await new Promise((r) => setTimeout(r, 200 * attempt));
      }
    }
  }

  private async recordOnce(): Promise<void> {
    for (const d of this.registry.all()) {
      const { hash, description } = describeForStorage(d);
      const [row] = await query<{ deployed_hash: string }>(
        this.db,
        `INSERT INTO definition_version (type, version, hash, deployed_hash, description) VALUES ($1, $2, $3, $3, $4)
         ON CONFLICT (type, version) DO UPDATE SET hash = EXCLUDED.hash, last_deployed_at = now(),
           description = CASE WHEN definition_version.deployed_hash = EXCLUDED.hash THEN EXCLUDED.description ELSE definition_version.description END
         RETURNING deployed_hash`,
        [d.type, d.version, hash, description],
      );
      if (row.deployed_hash !== hash) {
        this.log('a registered definition differs from what was first deployed under its version: give the change a new version', { type: d.type, version: d.version, deployedHash: row.deployed_hash, hash });
      }
    }
    this.cache = undefined;
  }

  private async rows(fresh = false): Promise<Map<string, Row>> {
    if (!fresh && this.cache && Date.now() - this.cache.at < CACHE_MS) return this.cache.rows;
    const rows = await query<Row>(this.db, 'SELECT * FROM definition_version ORDER BY type, version');
    this.cache = { at: Date.now(), rows: new Map(rows.map((r) => [`${r.type}@${r.version}`, r])) };
    return this.cache.rows;
  }

  private lifecycleOf(rows: Map<string, Row>, type: string, version: number): Lifecycle {
    return rows.get(`${type}@${version}`)?.lifecycle ?? 'active';
  }

  /**
   * The version a new start of `type` runs: the one asked for, refused when deprecated or
   * retired; else the newest active registered one. Unknown types and versions are the
   * registry's 404s.
   */
  async startVersion(type: string, version?: number): Promise<number> {
    const rows = await this.rows();
    if (version !== undefined) {
      const d = this.registry.get(type, version);
      const lifecycle = this.lifecycleOf(rows, type, d.version);
      if (lifecycle !== 'active') {
        const next = this.activeVersions(rows, type).pop();
        const row = rows.get(`${type}@${version}`)!;
        throw new DomainError('definition_not_startable', `${type}@${version} is ${lifecycle}${row.lifecycle_reason ? ` (${row.lifecycle_reason})` : ''}: new starts are refused${next ? `; start version ${next}, or leave version out` : ''}`, {
          type,
          version,
          lifecycle,
          ...(next ? { startableVersion: next } : {}),
        });
      }
      return d.version;
    }
    this.registry.get(type);
    const active = this.activeVersions(rows, type);
    if (!active.length) {
      throw new DomainError('definition_not_startable', `every registered version of ${type} is deprecated or retired: new starts are refused`, { type });
    }
    return active[active.length - 1];
  }

  private activeVersions(rows: Map<string, Row>, type: string): number[] {
    return this.registry.versionsOf(type).filter((v) => this.lifecycleOf(rows, type, v) === 'active');
  }

  /** Every version of `type`, deployed now or before, with its lifecycle and the scope's instance counts. */
  async versions(scope: TenantScope, type: string): Promise<{ type: string; versions: VersionView[] }> {
    const rows = await this.rows(true);
    const registered = this.registry.versionsOf(type);
    const stored = [...rows.values()].filter((r) => r.type === type).map((r) => r.version);
    const all = [...new Set([...registered, ...stored])].sort((a, b) => a - b);
    if (!all.length) this.registry.get(type); // the registry's 404, naming the known types
    const counts = await query<{ version: number; status: string; state: unknown; count: string }>(
      this.db,
      `SELECT definition_version AS version, status, state_value AS state, count(*) AS count
         FROM workflow_instance WHERE tenant = $1 AND type = $2 GROUP BY 1, 2, 3`,
      [scope.tenant, type],
    );
    const active = this.activeVersions(rows, type);
    const startDefault = active[active.length - 1];
    return {
      type,
      versions: all.map((version) => {
        const row = rows.get(`${type}@${version}`);
        const mine = counts.filter((c) => Number(c.version) === version);
        const byStatus: Record<string, number> = {};
        for (const c of mine) byStatus[c.status] = (byStatus[c.status] ?? 0) + Number(c.count);
        const isRegistered = registered.includes(version);
        const hash = isRegistered ? describeForStorage(this.registry.get(type, version)).hash : row!.hash;
        return {
          version,
          lifecycle: row?.lifecycle ?? 'active',
          lifecycleReason: row?.lifecycle_reason ?? null,
          lifecycleBy: row?.lifecycle_by ?? null,
          lifecycleAt: row?.lifecycle_at ? new Date(row.lifecycle_at).toISOString() : null,
          registered: isRegistered,
          startDefault: version === startDefault,
          hash,
          changedSinceDeployed: !!row && row.deployed_hash !== hash,
          firstDeployedAt: row ? new Date(row.first_deployed_at).toISOString() : null,
          lastDeployedAt: row ? new Date(row.last_deployed_at).toISOString() : null,
          instances: {
            total: mine.reduce((n, c) => n + Number(c.count), 0),
            live: mine.filter((c) => ['running', 'waiting', 'paused'].includes(c.status)).reduce((n, c) => n + Number(c.count), 0),
            byStatus,
            byState: mine.map((c) => ({ state: stateLabel(c.state), status: c.status, count: Number(c.count) })).sort((a, b) => b.count - a.count),
          },
        };
      }),
    };
  }

  /** Changes a version's lifecycle; retiring one that still has live instances (in any tenant) is refused. */
  async setLifecycle(scope: TenantScope, type: string, version: number, lifecycle: Lifecycle, reason: string, actor: string): Promise<VersionView> {
    const rows = await this.rows(true);
    if (!rows.has(`${type}@${version}`)) {
      if (this.registry.has(type, version)) await this.record();
      else this.registry.get(type, version);
    }
    if (lifecycle === 'retired') {
      const [{ live }] = await query<{ live: string }>(this.db, `SELECT count(*) AS live FROM workflow_instance WHERE type = $1 AND definition_version = $2 AND status IN ${LIVE}`, [type, version]);
      if (Number(live) > 0) {
        throw new DomainError('definition_in_use', `${type}@${version} has ${live} live instances: it cannot be retired until they end (deprecate it to stop new starts, or migrate them)`, { type, version, live: Number(live) });
      }
    }
    await query(this.db, `UPDATE definition_version SET lifecycle = $3, lifecycle_reason = $4, lifecycle_by = $5, lifecycle_at = now() WHERE type = $1 AND version = $2`, [type, version, lifecycle, reason, actor]);
    this.cache = undefined;
    return (await this.versions(scope, type)).versions.find((v) => v.version === version)!;
  }

  /** The statechart of a version: the registered machine's, else what was recorded when it was deployed. */
  async model(type: string, version: number): Promise<StatechartModel> {
    if (this.registry.has(type, version)) return buildStatechartModel(this.registry.get(type, version));
    const row = (await this.rows(true)).get(`${type}@${version}`);
    if (!row) this.registry.get(type, version);
    const m = row!.description.model;
    return { ...m, byId: new Map(m.nodes.map((n) => [n.id, n])) };
  }

  /** The recorded description and hash of a version no longer registered (undefined when it is registered or unknown). */
  async storedOnly(type: string, version: number): Promise<{ hash: string; description: StoredDescription } | undefined> {
    if (this.registry.has(type, version)) return undefined;
    const row = (await this.rows(true)).get(`${type}@${version}`);
    return row ? { hash: row.hash, description: row.description } : undefined;
  }
}
