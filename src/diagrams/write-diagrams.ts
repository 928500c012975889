import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createDefinitions } from '../../machines';
import { PartnersClient } from '../partners';
import { renderDiagram } from './render';
import { complianceReport } from './report';

/** `npm run diagrams [outDir]`: the SVG, Mermaid and compliance report of every definition, generated from the machines. */
export async function writeDiagrams(outDir: string): Promise<string[]> {
  // The partners client is only needed to build the definitions: nothing is called.
  const definitions = createDefinitions({ partners: new PartnersClient({ baseUrl: 'http://127.0.0.1:4010' }) });
  await mkdir(outDir, { recursive: true });
  const written: string[] = [];
  for (const d of definitions) {
    for (const [format, ext] of [['svg', 'svg'], ['mermaid', 'mmd']] as const) {
      const file = join(outDir, `${d.type}-v${d.version}.${ext}`);
      await writeFile(file, await renderDiagram(d, format));
      written.push(file);
    }
    const report = join(outDir, `${d.type}-v${d.version}.html`);
    const previous = definitions.filter((p) => p.type === d.type && p.version < d.version).pop();
    await writeFile(report, await complianceReport(d, previous));
    written.push(report);
  }
  return written;
}

if (require.main === module) {
  const outDir = resolve(process.argv[2] ?? 'diagrams');
  writeDiagrams(outDir).then(
    (files) => {
      for (const f of files) console.log(f);
    },
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
