import { describeInvoke, describeTask, type InstanceMarking, type StatechartModel } from './statechart-model';

/** A DOT double-quoted string. */
export function dotString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

const COLORS = { visitedFill: '#e6f4ea', visitedLine: '#34a853', currentFill: '#fff3c4', currentLine: '#e37400' };

function attrs(a: Record<string, string | number | undefined>): string {
  return `[${Object.entries(a)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? v : dotString(v!)}`)
    .join(', ')}]`;
}

/**
 * The model as Graphviz DOT: compound states are clusters entered through their initial
 * point; final states are bold with a double border. The SVG keeps the DOT `class`
 * attributes: `state`, `final`, `visited`, `current`, `transition`.
 */
export function toDot(model: StatechartModel, marking?: InstanceMarking): string {
  const dotId = new Map(model.nodes.map((n, i) => [n.id, `n${i}`]));
  // A compound state is drawn as a cluster with a point (its entry) inside; edges attach to it with lhead/ltail.
  // The machine's own transitions (its root's `on`, taken in whichever state it is) start from
  // a note of their own: the root is not drawn as a cluster, so it has no entry point.
  const ANY = 'any_state';
  const anchor = (id: string) => (id === model.rootId ? ANY : model.byId.get(id)!.children.length ? `${dotId.get(id)}_entry` : dotId.get(id)!);
  const drawnCluster = (id: string) => id !== model.rootId && model.byId.get(id)!.children.length > 0;
  const cluster = (id: string) => `cluster_${dotId.get(id)}`;
  /** Whether `id` is `ancestor` or lies inside it. */
  const within = (id: string, ancestor: string): boolean => {
    for (let n: string | null = id; n; n = model.byId.get(n)!.parent) if (n === ancestor) return true;
    return false;
  };
  const lines: string[] = [
    'digraph statechart {',
    `  graph [compound=true, rankdir=TB, fontname="Helvetica", fontsize=11, label=${dotString(`${model.type} v${model.version}`)}, labelloc=t];`,
    '  node [shape=box, style="rounded", fontname="Helvetica", fontsize=10];',
    '  edge [fontname="Helvetica", fontsize=9];',
  ];
  const classes = (id: string, base: string) =>
    [base, marking?.current.has(id) ? 'current' : marking?.visited.has(id) ? 'visited' : undefined].filter(Boolean).join(' ');

  const emit = (id: string, indent: string) => {
    const n = model.byId.get(id)!;
    const notes = [...(n.task ? [describeTask(n.task)] : []), ...n.invokes.map(describeInvoke), ...(n.collapsedStates ? [`[+] ${n.collapsedStates} states inside`] : [])];
    const visited = marking?.visited.has(id) ?? false;
    const current = marking?.current.has(id) ?? false;
    if (n.children.length) {
      lines.push(`${indent}subgraph ${cluster(id)} {`);
      lines.push(
        `${indent}  graph ${attrs({
          label: [n.key, ...notes].join('\n'),
          id: `state:${n.id}`,
          class: classes(id, `state ${n.type}`),
          style: visited ? 'rounded,filled' : 'rounded',
          fillcolor: visited ? COLORS.visitedFill : undefined,
          color: current ? COLORS.currentLine : visited ? COLORS.visitedLine : undefined,
          penwidth: current ? 3 : undefined,
        })};`,
      );
      lines.push(`${indent}  ${anchor(id)} ${attrs({ shape: 'point', width: 0.12, label: '' })};`);
      for (const init of n.initial) lines.push(`${indent}  ${anchor(id)} -> ${anchor(init)} ${attrs({ lhead: model.byId.get(init)!.children.length ? cluster(init) : undefined })};`);
      for (const child of n.children) emit(child, `${indent}  `);
      lines.push(`${indent}}`);
      return;
    }
    const final = n.type === 'final';
    const style = ['rounded', final ? 'bold' : undefined, visited || current ? 'filled' : undefined].filter(Boolean).join(',');
    lines.push(
      `${indent}${anchor(id)} ${attrs({
        label: [n.key, ...notes].join('\n'),
        id: `state:${n.id}`,
        class: classes(id, `state ${n.type}${n.collapsedStates ? ' collapsed' : ''}`),
        style: n.collapsedStates ? `${style},dashed` : style,
        peripheries: final ? 2 : undefined,
        fillcolor: current ? COLORS.currentFill : visited ? COLORS.visitedFill : undefined,
        color: current ? COLORS.currentLine : visited ? COLORS.visitedLine : undefined,
        penwidth: current ? 3 : undefined,
      })};`,
    );
  };
  const root = model.byId.get(model.rootId)!;
  lines.push(`  start ${attrs({ shape: 'point', width: 0.15, label: '' })};`);
  for (const init of root.initial) lines.push(`  start -> ${anchor(init)} ${attrs({ lhead: model.byId.get(init)!.children.length ? cluster(init) : undefined })};`);
  for (const child of root.children) emit(child, '  ');
  if (model.edges.some((e) => e.source === model.rootId || e.targets.includes(model.rootId))) {
    lines.push(`  ${ANY} ${attrs({ shape: 'note', label: 'in any state', class: 'state any', fontsize: 9 })};`);
  }

  for (const e of model.edges) {
    const taken = marking?.edges.has(e.id) ?? false;
    const source = model.byId.get(e.source)!;
    for (const t of e.targets.length ? e.targets : [e.source]) {
      const target = model.byId.get(t)!;
      lines.push(
        `  ${anchor(e.source)} -> ${anchor(t)} ${attrs({
          label: e.guard ? `${e.event} [${e.guard}]` : e.event,
          id: `transition:${e.id}:${t}`,
          class: taken ? 'transition visited' : 'transition',
          ltail: drawnCluster(source.id) && !within(t, e.source) ? cluster(e.source) : undefined,
          lhead: drawnCluster(target.id) && !within(e.source, t) ? cluster(t) : undefined,
          color: taken ? COLORS.visitedLine : undefined,
          fontcolor: taken ? COLORS.visitedLine : undefined,
          penwidth: taken ? 2 : undefined,
        })};`,
      );
    }
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
