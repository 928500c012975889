import type { WorkflowDefinition } from '../engine/definition/definition';
import { toDot } from './dot';
import { toMermaid } from './mermaid';
import { buildStatechartModel, markInstance, type HistoryStep, type StatechartModel } from './statechart-model';
import { dotToSvg } from './svg';
import { collapseModel, parseCollapse } from './collapse';

export type DiagramFormat = 'mermaid' | 'svg';

export const DIAGRAM_FORMATS: readonly DiagramFormat[] = ['mermaid', 'svg'];

export interface InstanceState {
  history: readonly HistoryStep[];
  state: unknown;
}

/** A definition's diagram, generated from its machine; with an instance, its path and current state marked. */
/**
 * `collapse` (raw, as `?collapse=` gave it): compound states drawn closed; a path that is not
 * one of the machine's compound states is a 400 naming those there are.
 */
export async function renderDiagram(definition: WorkflowDefinition, format: DiagramFormat, instance?: InstanceState, collapseRaw?: unknown): Promise<string> {
  return renderModel(buildStatechartModel(definition), format, instance, collapseRaw);
}

/** The same from a statechart model: a registered machine's, or the one recorded when a version no longer deployed was. */
export async function renderModel(full: StatechartModel, format: DiagramFormat, instance?: InstanceState, collapseRaw?: unknown): Promise<string> {
  const collapse = parseCollapse(full, collapseRaw);
  const { model, marking } = collapseModel(full, collapse, instance ? markInstance(full, instance.history, instance.state) : undefined);
  return format === 'mermaid' ? toMermaid(model, marking) : dotToSvg(toDot(model, marking));
}
