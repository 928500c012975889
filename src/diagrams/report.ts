import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { WorkflowDefinition } from '../engine/definition/definition';
import { runPath, type PathRun } from './path-runs';
import { pathsToFinalStates } from './paths';
import { renderModel } from './render';
import { buildStatechartModel, describeInvoke, describeTask, type StatechartModel } from './statechart-model';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const path = (model: StatechartModel, id: string) => (id === model.rootId ? '(machine)' : id.slice(model.rootId.length + 1));

function transitionSignatures(model: StatechartModel): Set<string> {
  return new Set(model.edges.map((e) => `${path(model, e.source)} — ${e.event}${e.guard ? ` [${e.guard}]` : ''} → ${e.targets.map((t) => path(model, t)).join(', ') || '(stays)'}`));
}

/**
 * What a report describes: a registered definition, or a version no longer deployed, from what
 * was recorded when it was (its model, hash and description; its paths then cannot be run).
 */
export interface ReportSubject {
  type: string;
  version: number;
  description: string | null;
  hash: string;
  model: StatechartModel;
  definition?: WorkflowDefinition;
}

export function reportSubject(definition: WorkflowDefinition): ReportSubject {
  const model = buildStatechartModel(definition);
  return { type: definition.type, version: definition.version, description: definition.description ?? null, hash: definitionHash(definition, model), model, definition };
}

function changes(model: StatechartModel, previous?: ReportSubject): string {
  if (!previous) return '<p>First version: nothing to compare with.</p>';
  const before = previous.model;
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

/** An A4 page less 12 mm margins and a caption line, in the pt Graphviz measures in; parts overlap so a label cut at one edge is whole on the next. */
const A4 = { width: 520, height: 720, overlap: 36 };
/** Below this scale a 9 pt label prints smaller than 7.5 pt: a wider diagram is printed in parts instead. */
const MIN_PRINT_SCALE = 0.85;

/**
 * The diagram cut into A4 parts at its natural size, for print: a chart wider (or taller)
 * than a page fits only by shrinking its labels past reading, so after the whole (the
 * overview) come its parts, each the same drawing seen through a page-sized viewBox. Empty
 * when the whole prints legibly on one page.
 */
export function printParts(svg: string): { html: string; count: number } {
  const size = /<svg[^>]*\swidth="([\d.]+)pt"[^>]*\sheight="([\d.]+)pt"/.exec(svg);
  const box = /viewBox="([-\d.]+)[\s,]+([-\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)"/.exec(svg);
  if (!size || !box) return { html: '', count: 0 };
  const [w, h] = [Number(box[3]), Number(box[4])];
  const [x0, y0] = [Number(box[1]), Number(box[2])];
  const scale = Math.min(A4.width / w, A4.height / h, 1);
  if (scale >= MIN_PRINT_SCALE) return { html: '', count: 0 };
  const open = svg.indexOf('>', svg.indexOf('<svg')) + 1;
  // The parts repeat the drawing without its ids: an HTML document has each id once.
  const drawing = svg.slice(open, svg.lastIndexOf('</svg>')).replace(/\sid="[^"]*"/g, '');
  const step = { x: A4.width - A4.overlap, y: A4.height - A4.overlap };
  const cols = Math.max(1, Math.ceil((w - A4.overlap) / step.x));
  const rows = Math.max(1, Math.ceil((h - A4.overlap) / step.y));
  const parts: string[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const [x, y] = [x0 + c * step.x, y0 + r * step.y];
      const [pw, ph] = [Math.min(A4.width, x0 + w - x), Math.min(A4.height, y0 + h - y)];
      parts.push(
        `<figure class="part"><figcaption>Diagram, part ${parts.length + 1} of ${rows * cols}: row ${r + 1} of ${rows}, column ${c + 1} of ${cols}, at its natural size</figcaption>` +
          `<svg xmlns="http://www.w3.org/2000/svg" width="${pw}pt" height="${ph}pt" viewBox="${x} ${y} ${pw} ${ph}">${drawing}</svg></figure>`,
      );
    }
  }
  return { html: `<section class="print-parts" aria-label="The diagram in A4 parts">${parts.join('')}</section>`, count: parts.length };
}

let revision: string | undefined;
/** The code revision the report was generated from: STATERA_REVISION (set by a build), else the checkout's commit. */
function codeRevision(): string {
  if (revision === undefined) {
    revision = process.env.STATERA_REVISION?.trim() || '';
    if (!revision) {
      try {
        revision = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'], timeout: 2000 }).toString().trim();
      } catch {
        revision = 'unknown (set STATERA_REVISION)';
      }
    }
  }
  return revision;
}

/**
 * A hash of what the report describes — states with their kinds and outcomes, transitions with
 * their guards, the input and event schemas — so a signed report names exactly one behaviour.
 */
export function definitionHash(definition: WorkflowDefinition, model = buildStatechartModel(definition)): string {
  const schema = (s: z.ZodType) => {
    try {
      return z.toJSONSchema(s, { unrepresentable: 'any', io: 'input' });
    } catch {
      return null;
    }
  };
  const canonical = JSON.stringify({
    type: definition.type,
    version: definition.version,
    states: model.nodes.map((n) => [path(model, n.id), n.type, n.outcome ?? null, n.task?.title ?? null, n.invokes.map((i) => i.src)]),
    transitions: [...transitionSignatures(model)].sort(),
    input: schema(definition.input),
    events: Object.entries(definition.events ?? {}).sort(([a], [b]) => a.localeCompare(b)).map(([t, e]) => [t, schema(e)]),
  });
  return createHash('sha256').update(canonical).digest('hex');
}

/**
 * A printable compliance report, generated from the machine itself: its diagram, every
 * state and transition, every path from the start to each final state, and what changed
 * since the previous version.
 */
export async function complianceReport(of: WorkflowDefinition | ReportSubject, before?: WorkflowDefinition | ReportSubject): Promise<string> {
  const subject = 'model' in of ? of : reportSubject(of);
  const previous = before && ('model' in before ? before : reportSubject(before));
  const { model, hash } = subject;
  const definition = { type: subject.type, version: subject.version, description: subject.description };
  const generatedAt = new Date().toISOString();
  const svg = await renderModel(model, 'svg');
  const parts = printParts(svg);
  const paths = pathsToFinalStates(model);
  const stateRows = model.nodes
    .filter((n) => n.id !== model.rootId)
    .map((n) => {
      const notes = [...n.invokes.map(describeInvoke), ...(n.task ? [describeTask(n.task)] : [])];
      const kind = n.type === 'final' ? `final — ${n.outcome}` : n.type;
      return `<tr><td>${esc(path(model, n.id))}</td><td>${esc(kind)}</td><td>${esc([...notes, ...(n.description ? [n.description] : [])].join('; '))}</td></tr>`;
    });
  const edgeRows = model.edges.map(
    (e) =>
      `<tr><td>${esc(path(model, e.source))}</td><td>${esc(e.event)}</td><td>${esc(e.guard ?? '')}</td><td>${esc(e.targets.map((t) => path(model, t)).join(', ') || '(stays)')}</td><td>${esc(e.description ?? '')}</td></tr>`,
  );
  const runs = paths.map((p): PathRun => (subject.definition ? runPath(subject.definition, model, p) : { shown: false, step: 0, why: 'this version is no longer deployed: its paths are listed as recorded, not run' }));
  const shown = runs.filter((r) => r.shown).length;
  const pathItems = paths.map((p, n) => {
    const run = runs[n];
    const mark = run.shown
      ? `<span class="run shown" title="${esc(run.events.join(' → '))}">✓ runs</span> <small>with ${esc(run.events.join(' → '))}</small>`
      : `<span class="run unshown">not shown</span> <small>at step ${run.step + 1}: ${esc(run.why)}</small>`;
    return `<li data-final="${esc(p.final)}" data-run="${run.shown ? 'shown' : 'not-shown'}">${p.states.map((s, i) => (i === 0 ? esc(s) : ` —<em>${esc(p.steps[i - 1])}</em>→ ${esc(s)}`)).join('')}<br>${mark}</li>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(definition.type)} v${definition.version}: compliance report</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;color:#111}table{border-collapse:collapse;width:100%;margin:1rem 0}
th,td{border:1px solid #999;padding:.3rem .5rem;text-align:left;vertical-align:top;font-size:.9rem}th{background:#eee}
table.meta{width:auto}.run{font-size:.8rem;padding:0 .3rem;border-radius:3px}.run.shown{background:#e6f4ea;color:#1a7f37}.run.unshown{background:#f3f3f3;color:#555}ol.paths small{color:#444}
table.meta th{width:14rem}table.signoff td{height:2.2rem}
figure svg{max-width:100%;height:auto}.print-parts{display:none}figure.part svg{max-width:none}figcaption{font-size:.8rem;color:#444}
@page{size:A4;margin:12mm}
@media print{body{margin:0}h2{page-break-before:always}figure{page-break-inside:avoid}.print-parts{display:block}figure.part{break-before:page;margin:0}}
</style></head><body>
<h1>${esc(definition.type)} — version ${definition.version}</h1>
<p>${esc(definition.description ?? '')}</p>
<p>Generated from the running definition: ${model.nodes.length - 1} states, ${model.edges.length} transitions, ${paths.length} paths to a final state.</p>
<table class="meta" aria-label="Report metadata"><tbody>
<tr><th>Definition</th><td>${esc(definition.type)} version ${definition.version}</td></tr>
<tr><th>Definition hash (SHA-256)</th><td><code>${hash}</code></td></tr>
<tr><th>Generated at</th><td>${esc(generatedAt)}</td></tr>
<tr><th>Code revision</th><td><code>${esc(codeRevision())}</code></td></tr>
<tr><th>Compared with</th><td>${previous ? `version ${previous.version} (hash <code>${previous.hash}</code>)` : 'nothing: the first version'}</td></tr>
${subject.definition ? '' : '<tr><th>Deployed</th><td>no longer: described from what was recorded when it was</td></tr>'}
</tbody></table>
<figure class="overview">${svg.replace(/^<\?xml[^>]*>\s*/, '').replace(/<!DOCTYPE[^>]*>\s*/, '')}${
    parts.count ? `<figcaption>The whole diagram. Printed, it is followed by ${parts.count} A4 parts at its natural size, where every label is legible.</figcaption>` : ''
  }</figure>
${parts.html}
<h2>States</h2><table><thead><tr><th>State</th><th>Kind</th><th>Activities and tasks</th></tr></thead><tbody>${stateRows.join('')}</tbody></table>
<h2>Transitions</h2><table><thead><tr><th>From</th><th>Event</th><th>Guard</th><th>To</th><th>In words</th></tr></thead><tbody>${edgeRows.join('')}</tbody></table>
<h2>Paths to a final state</h2>
<p>${shown} of ${paths.length} paths were shown to run on the machine itself, from the example input, with the events listed: their guards can all hold. For the others, the step where no event made the machine take the path and why: a guard over an activity's answer is evaluated only with the answers the definition gives (<code>exampleAnswers</code>), a signal's payloads are drawn from its declared schema. A path not shown may still be possible; one shown is.</p>
<ol class="paths">${pathItems.join('')}</ol>
<h2>Changes from the previous version</h2>${changes(model, previous)}
<h2>Sign-off</h2>
<p>The undersigned reviewed the process described above: definition ${esc(definition.type)} version ${definition.version}, hash <code>${hash}</code>. A definition with another hash is another process and needs its own review.</p>
<table class="signoff" aria-label="Sign-off"><thead><tr><th>Role</th><th>Name</th><th>Decision</th><th>Date</th><th>Signature</th></tr></thead><tbody>
${['Process owner', 'Compliance', 'Risk'].map((r) => `<tr><td>${r}</td><td></td><td>approved / rejected</td><td></td><td></td></tr>`).join('')}
</tbody></table>
</body></html>
`;
}
