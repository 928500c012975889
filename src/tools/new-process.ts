// `npm run new-process -- <type> [folder]`: a process folder from templates/process, outside
// this repository by default, that depends on this checkout as `statera`.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const REPO = path.resolve(__dirname, '../../..');
const TEMPLATE = path.join(REPO, 'templates', 'process');
const TYPE = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

export interface NewProcess {
  type: string;
  folder: string;
  files: string[];
}

/** Writes the template for `type` into `folder` (which must be absent or empty). */
export function newProcess(type: string, folder: string): NewProcess {
  if (!TYPE.test(type)) throw new UsageError(`"${type}" is not a process type: use lower-case words joined by hyphens, e.g. invoice-collection`);
  const target = path.resolve(folder);
  if (existsSync(target) && readdirSync(target).length > 0) throw new UsageError(`${target} exists and is not empty: name a new folder`);
  const words = type.split('-');
  const pascal = words.map((w) => w[0].toUpperCase() + w.slice(1)).join('');
  const own = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
  const relative = path.relative(target, REPO) || '.';
  const fill = (text: string) =>
    text
      .replace(/__version:([^_]+(?:_[^_]+)*)__/g, (_, pkg: string) => own.devDependencies[pkg] ?? '*')
      .replaceAll('__statera_dir__', REPO)
      .replaceAll('__statera__', `file:${relative.split(path.sep).join('/')}`)
      .replaceAll('__type__', type)
      .replaceAll('__Name__', pascal)
      .replaceAll('__name__', pascal[0].toLowerCase() + pascal.slice(1));
  mkdirSync(target, { recursive: true });
  const files: string[] = [];
  for (const name of readdirSync(TEMPLATE)) {
    const out = fill(name);
    writeFileSync(path.join(target, out), fill(readFileSync(path.join(TEMPLATE, name), 'utf8')));
    files.push(out);
  }
  return { type, folder: target, files: files.sort() };
}

export class UsageError extends Error {}

function main(argv: string[]): void {
  const [type, folder] = argv;
  if (!type || type === '--help' || argv.length > 2) {
    process.stderr.write('usage: npm run new-process -- <type> [folder]   (folder: ./<type> where the command is run)\n');
    process.exit(type === '--help' ? 0 : 2);
  }
  const base = process.env.INIT_CWD ?? process.cwd();
  try {
    const made = newProcess(type, path.resolve(base, folder ?? type));
    process.stdout.write(
      `wrote ${made.files.length} files to ${made.folder}\n` +
        `next: cd ${made.folder} && npm install && npm test\n` +
        `run it: EXTRA_DEFINITIONS=${path.join(made.folder, 'index.ts')} npm start   (here, in ${REPO})\n`,
    );
  } catch (err) {
    process.stderr.write(`new-process: ${(err as Error).message}\n`);
    process.exit(err instanceof UsageError ? 2 : 1);
  }
}

if (require.main === module) main(process.argv.slice(2));
