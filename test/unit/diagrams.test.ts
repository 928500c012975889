import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { createDefinitions } from '../../machines';
import { toDot } from '../../src/diagrams/dot';
import { toMermaid } from '../../src/diagrams/mermaid';
import { renderDiagram } from '../../src/diagrams/render';
import { stopSvgRenderer } from '../../src/diagrams/svg';
import { activeNodeIds, buildStatechartModel, formatDuration, markInstance } from '../../src/diagrams/statechart-model';
import { SandboxClient } from '../../src/sandbox/client';

const definitions = createDefinitions({ partners: new SandboxClient({ baseUrl: 'http://127.0.0.1:4010' }) });

interface Checked {
  ok: boolean;
  error?: string;
  root?: string;
  text?: string;
  classes?: string[];
}

/** Mermaid (and jsdom 29) are ESM-only and mermaid needs a DOM: both run in a plain Node process. */
function check(texts: Array<string | { svg: string }>): Checked[] {
  const run = spawnSync(process.execPath, [join(__dirname, '../support/mermaid-parse.mjs')], { input: JSON.stringify(texts), encoding: 'utf8', timeout: 60_000 });
  if (run.status !== 0) throw new Error(`mermaid-parse failed: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

const parseMermaid = (texts: string[]) => check(texts);


/** Every definition's SVG, checked as XML in one child process. */
let svgs: Map<string, { text: string; classes: string[] }>;

beforeAll(async () => {
  const rendered = await Promise.all(definitions.map((d) => renderDiagram(d, 'svg')));
  const results = check(rendered.map((svg) => ({ svg })));
  svgs = new Map(
    definitions.map((d, i) => {
      const r = results[i];
      expect({ type: d.type, ok: r.ok, error: r.error, root: r.root }).toEqual({ type: d.type, ok: true, error: undefined, root: 'svg' });
      return [d.type, { text: r.text!, classes: r.classes! }];
    }),
  );
}, 60_000);

afterAll(() => stopSvgRenderer());

test('every definition yields Mermaid that mermaid itself parses; broken Mermaid and SVG are rejected', () => {
  const texts = definitions.map((d) => toMermaid(buildStatechartModel(d)));
  const broken = 'stateDiagram-v2\n  state "a" as s_a {\n  s_a --> : {{\n';
  const [brokenSvg, ...results] = check([{ svg: '<svg xmlns="http://www.w3.org/2000/svg"><g></svg>' }, ...texts, broken]);
  // The checks can fail: a broken SVG is not well-formed XML.
  expect(brokenSvg.ok).toBe(false);
  expect(results.slice(0, texts.length).map((r, i) => ({ type: definitions[i].type, ...r }))).toEqual(definitions.map((d) => ({ type: d.type, ok: true })));
  expect(results[texts.length].ok).toBe(false);
}, 60_000);

test.each(definitions.map((d) => [d.type, d] as const))('%s: the SVG is well-formed and shows every state, delay and final state', async (_type, d) => {
  const model = buildStatechartModel(d);
  const { text, classes } = svgs.get(d.type)!;
  for (const n of model.nodes.filter((x) => x.parent)) expect(text).toContain(n.key);
  for (const [name, ms] of Object.entries(d.machine.implementations.delays as Record<string, unknown>)) {
    if (typeof ms === 'number' && model.edges.some((e) => e.event.includes(`(${name})`))) expect(text).toContain(`after ${formatDuration(ms)} (${name})`);
  }
  if (model.nodes.some((n) => n.type === 'final')) expect(classes.filter((c) => c.split(' ').includes('final'))).not.toHaveLength(0);
  // Every node the DOT draws is declared: an undeclared one (a root's entry point) would be drawn as a stray box.
  const dot = toDot(model);
  const declared = new Set([...dot.matchAll(/^\s*([A-Za-z_][\w]*) \[/gm)].map((m) => m[1]).filter((id) => !['graph', 'node', 'edge'].includes(id)));
  for (const [, from, to] of dot.matchAll(/^\s*([A-Za-z_]\w*) -> ([A-Za-z_]\w*) /gm)) {
    expect(declared).toContain(from);
    expect(declared).toContain(to);
  }
});

test('the loan shows its human task, its activity retry policy, guards and after delays', async () => {
  const loan = definitions.find((d) => d.type === 'loan-approval')!;
  const model = buildStatechartModel(loan);
  const task = model.nodes.find((n) => n.task)!;
  expect(task).toBeDefined();
  const mermaid = toMermaid(model);
  const dot = toDot(model);
  const { text } = svgs.get(loan.type)!;
  expect(text).toContain(task.task!.title);
  expect(mermaid).toContain('retry');
  expect(dot).toMatch(/after \d+ (ms|s|min|h|d)/);
  expect(model.edges.some((e) => e.guard)).toBe(true);
  expect(model.edges.some((e) => e.event.startsWith('done: '))).toBe(true);
});

test('fraud-check: delays resolve to durations, activities show their retry policy', () => {
  const fraud = definitions.find((d) => d.type === 'fraud-check')!;
  const model = buildStatechartModel(fraud);
  expect(model.edges.find((e) => e.source === 'fraud-check.awaitingReview' && e.event.startsWith('after'))).toMatchObject({ event: 'after 4 h (reviewSla)', targets: ['fraud-check.declined'] });
  expect(model.byId.get('fraud-check.scoring')!.invokes[0]).toMatchObject({ src: 'scoreTransaction', kind: 'activity', retry: { maximumAttempts: expect.any(Number) } });
  expect(model.byId.get('fraud-check.approved')!.type).toBe('final');
});

test('marking: the visited path and the current state from the history', () => {
  const fraud = definitions.find((d) => d.type === 'fraud-check')!;
  const model = buildStatechartModel(fraud);
  expect([...activeNodeIds('m', { a: { b: 'c' } })]).toEqual(['m', 'm.a', 'm.a.b', 'm.a.b.c']);
  const marking = markInstance(
    model,
    [
      { kind: 'workflow.started', event: null, stateBefore: null, stateAfter: 'scoring', outcome: 'accepted' },
      { kind: 'activity', event: { type: 'xstate.done.actor.scoreTransaction' }, stateBefore: 'scoring', stateAfter: 'awaitingReview', outcome: 'accepted' },
    ],
    'awaitingReview',
  );
  expect([...marking.current]).toEqual(['fraud-check.awaitingReview']);
  expect(marking.visited.has('fraud-check.scoring')).toBe(true);
  expect(marking.visited.has('fraud-check.approved')).toBe(false);
  const taken = model.edges.filter((e) => marking.edges.has(e.id));
  expect(taken.map((e) => [e.source, e.targets[0]])).toEqual([['fraud-check.scoring', 'fraud-check.awaitingReview']]);
  const mermaid = toMermaid(model, marking);
  expect(mermaid).toContain('class s_awaitingReview current');
  expect(mermaid).toContain('class s_scoring visited');
  expect(parseMermaid([mermaid])[0]).toEqual({ ok: true });
});
