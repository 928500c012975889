import { describeInvoke, describeTask, type DiagramEdge, type InstanceMarking, type StatechartModel } from './statechart-model';

/** Characters Mermaid's state grammar reads as syntax, as its `#code;` entities. */
export function escapeMermaid(text: string): string {
  return text.replace(/[#;{}"<>\\|]/g, (c) => `#${c.charCodeAt(0)};`).replace(/\s+/g, ' ');
}

/** Node ids (`fraud-check.awaitingReview`) as Mermaid identifiers, unique per model. */
function idMap(model: StatechartModel): Map<string, string> {
  const map = new Map<string, string>();
  const used = new Set<string>();
  for (const n of model.nodes) {
    const base = `s_${n.id.slice(model.rootId.length + 1).replace(/[^A-Za-z0-9_]/g, '_') || 'root'}`;
    let id = base;
    for (let i = 2; used.has(id); i++) id = `${base}_${i}`;
    used.add(id);
    map.set(n.id, id);
  }
  return map;
}

function edgeLabel(e: DiagramEdge): string {
  return escapeMermaid(e.guard ? `${e.event} [${e.guard}]` : e.event);
}

/** The lowest state containing all the given nodes (where a transition between them is written). */
function commonParent(model: StatechartModel, ids: string[]): string {
  const chain = (id: string) => {
    const out: string[] = [];
    for (let n = model.byId.get(id)!.parent; n; n = model.byId.get(n)!.parent) out.push(n);
    return out;
  };
  const [first, ...rest] = ids.map(chain);
  return first.find((p) => rest.every((c) => c.includes(p))) ?? model.rootId;
}

export const MERMAID_CLASSES = {
  visited: 'classDef visited fill:#e6f4ea,stroke:#34a853,color:#1e4620',
  current: 'classDef current fill:#fff3c4,stroke:#e37400,stroke-width:3px,color:#5c3100,font-weight:bold',
};

/** The model as a Mermaid `stateDiagram-v2`; with a marking, `visited` and `current` classes. */
export function toMermaid(model: StatechartModel, marking?: InstanceMarking): string {
  const ids = idMap(model);
  const mid = (id: string) => ids.get(id)!;
  const edgesIn = new Map<string, DiagramEdge[]>();
  for (const e of model.edges) {
    const targets = e.targets.length ? e.targets : [e.source];
    const scope = commonParent(model, [e.source, ...targets]);
    edgesIn.set(scope, [...(edgesIn.get(scope) ?? []), e]);
  }
  const lines: string[] = ['stateDiagram-v2', `  %% ${escapeMermaid(`${model.type} v${model.version}`)} (generated from the machine)`];

  const emitScope = (scopeId: string, indent: string) => {
    const scope = model.byId.get(scopeId)!;
    const regions = scope.type === 'parallel' ? scope.children.map((c) => [c]) : [scope.children];
    regions.forEach((region, i) => {
      if (i > 0) lines.push(`${indent}--`);
      for (const childId of region) emitState(childId, indent);
    });
    for (const init of scope.initial) lines.push(`${indent}[*] --> ${mid(init)}`);
    for (const childId of scope.children) {
      if (model.byId.get(childId)!.type === 'final') lines.push(`${indent}${mid(childId)} --> [*]`);
    }
    for (const e of edgesIn.get(scopeId) ?? []) {
      const targets = e.targets.length ? e.targets : [e.source];
      for (const t of targets) lines.push(`${indent}${mid(e.source)} --> ${mid(t)} : ${edgeLabel(e)}`);
    }
  };

  const emitState = (id: string, indent: string) => {
    const n = model.byId.get(id)!;
    const notes = [...(n.task ? [describeTask(n.task)] : []), ...n.invokes.map(describeInvoke)];
    if (n.children.length) {
      const label = [n.key, ...notes].join(' - ');
      lines.push(`${indent}state "${escapeMermaid(label)}" as ${mid(id)}`);
      lines.push(`${indent}state ${mid(id)} {`);
      emitScope(id, `${indent}  `);
      lines.push(`${indent}}`);
    } else {
      lines.push(`${indent}state "${escapeMermaid(n.key)}" as ${mid(id)}`);
      for (const note of notes) lines.push(`${indent}${mid(id)} : ${escapeMermaid(note)}`);
    }
  };

  emitScope(model.rootId, '  ');

  if (marking) {
    lines.push(`  ${MERMAID_CLASSES.visited}`, `  ${MERMAID_CLASSES.current}`);
    const visited = [...marking.visited].filter((id) => id !== model.rootId && !marking.current.has(id) && model.byId.get(id)!.children.length === 0);
    if (visited.length) lines.push(`  class ${visited.map(mid).join(',')} visited`);
    const current = [...marking.current].filter((id) => id !== model.rootId);
    if (current.length) lines.push(`  class ${current.map(mid).join(',')} current`);
  }
  return `${lines.join('\n')}\n`;
}
