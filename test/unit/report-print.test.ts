import { createDefinitions } from '../../machines';
import { complianceReport, printParts } from '../../src/diagrams/report';
import { renderDiagram } from '../../src/diagrams/render';
import { stopSvgRenderer } from '../../src/diagrams/svg';
import { PartnersClient } from '../../src/partners';

const definitions = createDefinitions({ partners: new PartnersClient({ baseUrl: 'http://127.0.0.1:1' }) });
const byType = (type: string) => definitions.find((d) => d.type === type)!;
afterAll(() => stopSvgRenderer());

test('a diagram too wide for A4 prints in page-sized parts at its natural size that together cover all of it', async () => {
  const svg = await renderDiagram(byType('payment-settlement'), 'svg');
  const [, w, h] = /viewBox="0.00 0.00 ([\d.]+) ([\d.]+)"/.exec(svg)!.map(Number);
  const parts = printParts(svg);
  const boxes = [...parts.html.matchAll(/width="([\d.]+)pt" height="([\d.]+)pt" viewBox="([-\d.]+) ([-\d.]+) ([\d.]+) ([\d.]+)"/g)].map((m) => m.slice(1).map(Number));
  expect(boxes).toHaveLength(parts.count);
  expect(parts.count).toBeGreaterThan(1);
  for (const [pw, ph, , , vw, vh] of boxes) {
    // Natural size: one pt of drawing is one pt on paper, and a part fits an A4 page within margins.
    expect([pw, ph]).toEqual([vw, vh]);
    expect(pw).toBeLessThanOrEqual(520);
    expect(ph).toBeLessThanOrEqual(720);
  }
  // Every point of the drawing is in some part.
  for (let x = 0; x < w; x += 50) {
    for (let y = 0; y < h; y += 50) expect(boxes.some(([, , bx, by, bw, bh]) => x >= bx && x <= bx + bw && y >= by && y <= by + bh)).toBe(true);
  }
});

test('the report prints the overview, then the parts; a diagram that fits a page has none, and no id is repeated', async () => {
  const payment = await complianceReport(byType('payment-settlement'));
  expect(payment).toMatch(/followed by \d+ A4 parts at its natural size/);
  expect(payment).toContain('@page{size:A4;margin:12mm}');
  // Graphviz writes `-` in ids as `&#45;`.
  expect(payment.match(/id="state:payment(-|&#45;)settlement.validating"/g)).toHaveLength(1);
  const demo = await complianceReport(byType('demo-transfer'));
  expect(demo).not.toContain('class="print-parts"');
  expect(printParts(await renderDiagram(byType('demo-transfer'), 'svg'))).toEqual({ html: '', count: 0 });
});
