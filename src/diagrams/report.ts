import type { WorkflowDefinition } from '../engine/definition/definition';
import { pathsToFinalStates } from './paths';
import { renderDiagram } from './render';
import { buildStatechartModel, describeInvoke, describeTask, type StatechartModel } from './statechart-model';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const path = (model: StatechartModel, id: string) => (id === model.rootId ? '(machine)' : id.slice(model.rootId.length + 1));

function transitionSignatures(model: StatechartModel): Set<string> {
  return new Set(model.edges.map((e) => `${path(model, e.source)} — ${e.event}${e.guard ? ` [${e.guard}]` : ''} → ${e.targets.map((t) => path(model, t)).join(', ') || '(stays)'}`));
}

function changes(model: StatechartModel, previous?: WorkflowDefinition): string {
  if (!previous) return '<p>First version: nothing to compare with.</p>';
  const before = buildStatechartModel(previous);
  const statesNow = new Set(model.nodes.map((n) => path(model, n.id)));
  const statesBefore = new Set(before.nodes.map((n) => path(before, n.id)));
  const edgesNow = transitionSignatures(model);
  const edgesBefore = transitionSignatures(before);
  const list = (title: string, items: string[]) => (items.length ? `<h3>${title}</h3><ul>${items.map((i) => `<li>${esc(i)}</li>`).join('')}</ul>` : '');
  const body = [
    list('States added', [...statesNow].filter((s) => !statesBefore.has(s))),
    list('States removed', [...statesBefore].filter((s) => !statesNow.has(s))),
    list('Transitions added', [...edgesNow].filter((e) => !edgesBefore.has(e))),
    list('Transitions removed', [...edgesBefore].filter((e) => !edgesNow.has(e))),
  ].join('');
  return `<p>Compared with version ${previous.version}.</p>${body || '<p>No change to states or transitions.</p>'}`;
}

/**
 * A printable compliance report, generated from the machine itself: its diagram, every
 * state and transition, every path from the start to each final state, and what changed
 * since the previous version.
 */
export async function complianceReport(definition: WorkflowDefinition, previous?: WorkflowDefinition): Promise<string> {
  const model = buildStatechartModel(definition);
  const svg = await renderDiagram(definition, 'svg');
  const paths = pathsToFinalStates(model);
  const stateRows = model.nodes
    .filter((n) => n.id !== model.rootId)
    .map((n) => {
      const notes = [...n.invokes.map(describeInvoke), ...(n.task ? [describeTask(n.task)] : [])];
      return `<tr><td>${esc(path(model, n.id))}</td><td>${n.type}</td><td>${esc(notes.join('; '))}</td></tr>`;
    });
  const edgeRows = model.edges.map(
    (e) => `<tr><td>${esc(path(model, e.source))}</td><td>${esc(e.event)}</td><td>${esc(e.guard ?? '')}</td><td>${esc(e.targets.map((t) => path(model, t)).join(', ') || '(stays)')}</td></tr>`,
  );
  const pathItems = paths.map(
    (p) => `<li data-final="${esc(p.final)}">${p.states.map((s, i) => (i === 0 ? esc(s) : ` —<em>${esc(p.steps[i - 1])}</em>→ ${esc(s)}`)).join('')}</li>`,
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(definition.type)} v${definition.version}: compliance report</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;color:#111}table{border-collapse:collapse;width:100%;margin:1rem 0}
th,td{border:1px solid #999;padding:.3rem .5rem;text-align:left;vertical-align:top;font-size:.9rem}th{background:#eee}
figure svg{max-width:100%;height:auto}@media print{body{margin:0}h2{page-break-before:always}figure{page-break-inside:avoid}}
</style></head><body>
<h1>${esc(definition.type)} — version ${definition.version}</h1>
<p>${esc(definition.description ?? '')}</p>
<p>Generated from the running definition: ${model.nodes.length - 1} states, ${model.edges.length} transitions, ${paths.length} paths to a final state.</p>
<figure>${svg.replace(/^<\?xml[^>]*>\s*/, '').replace(/<!DOCTYPE[^>]*>\s*/, '')}</figure>
<h2>States</h2><table><thead><tr><th>State</th><th>Kind</th><th>Activities and tasks</th></tr></thead><tbody>${stateRows.join('')}</tbody></table>
<h2>Transitions</h2><table><thead><tr><th>From</th><th>Event</th><th>Guard</th><th>To</th></tr></thead><tbody>${edgeRows.join('')}</tbody></table>
<h2>Paths to a final state</h2><ol class="paths">${pathItems.join('')}</ol>
<h2>Changes from the previous version</h2>${changes(model, previous)}
</body></html>
`;
}
