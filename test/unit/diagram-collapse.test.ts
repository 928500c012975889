import { createDefinitions } from '../../machines';
import { collapseModel, compoundStatePaths } from '../../src/diagrams/collapse';
import { toDot } from '../../src/diagrams/dot';
import { renderDiagram } from '../../src/diagrams/render';
import { buildStatechartModel, markInstance } from '../../src/diagrams/statechart-model';
import { stopSvgRenderer } from '../../src/diagrams/svg';
import { PartnersClient } from '../../src/partners';

const definitions = createDefinitions({ partners: new PartnersClient({ baseUrl: 'http://127.0.0.1:1' }) });
const loan = definitions.find((d) => d.type === 'loan-approval')!;
const trade = definitions.find((d) => d.type === 'trade-execution')!;
afterAll(() => stopSvgRenderer());

test('the compound states of a machine are listed by their paths', () => {
  expect(compoundStatePaths(buildStatechartModel(loan))).toEqual(['underwriting']);
  expect(compoundStatePaths(buildStatechartModel(trade))).toEqual(['orderOpen']);
});

test('a collapsed state is one box: its inside is gone, transitions leaving or entering it attach to the box, the inside ones are dropped', () => {
  const full = buildStatechartModel(loan);
  const { model } = collapseModel(full, ['underwriting']);
  const ids = model.nodes.map((n) => n.id);
  expect(ids).toContain('loan-approval.underwriting');
  expect(ids).not.toContain('loan-approval.underwriting.withinSla');
  expect(ids).not.toContain('loan-approval.underwriting.escalated');
  expect(model.byId.get('loan-approval.underwriting')).toMatchObject({ children: [], collapsedStates: 2 });
  // The SLA escalation runs inside the state: not drawn. Its decisions leave it: drawn from the box.
  expect(model.edges.some((e) => e.event.includes('underwritingSla'))).toBe(false);
  const fromBox = model.edges.filter((e) => e.source === 'loan-approval.underwriting').map((e) => e.eventType);
  expect(fromBox).toEqual(expect.arrayContaining(['underwriting.approved', 'underwriting.declined']));
  // Everything outside is as it was, and every edge joins drawn states.
  expect(model.edges.filter((e) => !e.source.startsWith('loan-approval.underwriting')).length).toBe(full.edges.filter((e) => !e.source.startsWith('loan-approval.underwriting')).length);
  for (const e of model.edges) for (const id of [e.source, ...e.targets]) expect(model.byId.has(id)).toBe(true);
  const dot = toDot(model);
  expect(dot).toContain('[+] 2 states inside');
  expect(dot).not.toContain('cluster_');
});

test("an instance inside a collapsed state marks the box current, in the SVG too", async () => {
  const full = buildStatechartModel(loan);
  const marking = markInstance(full, [], { underwriting: 'escalated' });
  const { marking: up } = collapseModel(full, ['underwriting'], marking);
  expect(up!.current.has('loan-approval.underwriting')).toBe(true);
  expect(up!.current.has('loan-approval.underwriting.escalated')).toBe(false);
  const svg = await renderDiagram(loan, 'svg', { history: [], state: { underwriting: 'escalated' } }, ['underwriting']);
  expect(svg).toMatch(/class="[^"]*state compound collapsed current/);
  expect(svg).toContain('states inside');
});
