import type { WorkflowDefinition } from '../engine/definition/definition';
import { toDot } from './dot';
import { toMermaid } from './mermaid';
import { buildStatechartModel, markInstance, type HistoryStep } from './statechart-model';
import { dotToSvg } from './svg';

export type DiagramFormat = 'mermaid' | 'svg';

export const DIAGRAM_FORMATS: readonly DiagramFormat[] = ['mermaid', 'svg'];

export interface InstanceState {
  history: readonly HistoryStep[];
  state: unknown;
}

/** A definition's diagram, generated from its machine; with an instance, its path and current state marked. */
export async function renderDiagram(definition: WorkflowDefinition, format: DiagramFormat, instance?: InstanceState): Promise<string> {
  const model = buildStatechartModel(definition);
  const marking = instance ? markInstance(model, instance.history, instance.state) : undefined;
  return format === 'mermaid' ? toMermaid(model, marking) : dotToSvg(toDot(model, marking));
}
