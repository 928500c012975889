// Parses Mermaid texts with the real mermaid parser, outside jest (mermaid and jsdom 29's
// dependencies are ESM-only, which jest on Node 20 cannot require).
// stdin: a JSON array of Mermaid texts, or of { svg } to check an SVG as XML with jsdom;
// stdout: a JSON array of { ok, error? } (for an SVG also its root tag, text and the classes of its <g>s).
import { JSDOM } from 'jsdom';

const dom = new JSDOM('<!doctype html><html><body></body></html>', { pretendToBeVisual: true });
globalThis.window = dom.window;
globalThis.document = dom.window.document;
for (const name of ['Element', 'HTMLElement', 'SVGElement', 'DOMParser', 'Node']) {
  if (!(name in globalThis)) globalThis[name] = dom.window[name];
}

const { default: mermaid } = await import('mermaid');
mermaid.initialize({ startOnLoad: false });

let input = '';
for await (const chunk of process.stdin) input += chunk;
const texts = JSON.parse(input);
const results = [];
for (const text of texts) {
  if (typeof text === 'object' && text !== null && typeof text.svg === 'string') {
    let doc;
    try {
      doc = new JSDOM(text.svg, { contentType: 'image/svg+xml' }).window.document;
    } catch (err) {
      results.push({ ok: false, error: String(err?.message ?? err) });
      continue;
    }
    const errors = doc.getElementsByTagName('parsererror');
    results.push({
      ok: errors.length === 0 && doc.documentElement.tagName === 'svg',
      ...(errors.length ? { error: errors[0].textContent } : {}),
      root: doc.documentElement.tagName,
      text: doc.documentElement.textContent,
      classes: [...doc.getElementsByTagName('g')].map((g) => g.getAttribute('class') ?? ''),
    });
    continue;
  }
  try {
    await mermaid.parse(text);
    results.push({ ok: true });
  } catch (err) {
    results.push({ ok: false, error: String(err?.message ?? err) });
  }
}
process.stdout.write(JSON.stringify(results));
