import { Worker } from 'node:worker_threads';

/**
 * Graphviz (WebAssembly, no browser, no system package) lays out in a worker thread: a large
 * layout is CPU-bound and must not stall the API's event loop. The WASM is loaded once per
 * worker and reused. @hpcc-js/wasm-graphviz ships ES modules only; the worker `require()`s
 * it natively (Node ≥ 20.19), which also works where a module runtime (jest) cannot.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const loading = require(workerData.graphvizPath).Graphviz.load();
parentPort.on('message', async ({ id, dot }) => {
  try {
    const gv = await loading;
    parentPort.postMessage({ id, svg: gv.dot(dot) });
  } catch (err) {
    parentPort.postMessage({ id, error: String((err && err.message) || err) });
  }
});
`;

interface Reply {
  id: number;
  svg?: string;
  error?: string;
}

let worker: Worker | undefined;
let nextId = 0;
const pending = new Map<number, { resolve: (svg: string) => void; reject: (err: Error) => void }>();

function graphvizWorker(): Worker {
  if (worker) return worker;
  const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { graphvizPath: require.resolve('@hpcc-js/wasm-graphviz') } });
  const failAll = (err: Error) => {
    if (worker === w) worker = undefined;
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  w.on('message', (reply: Reply) => {
    const p = pending.get(reply.id);
    if (!p) return;
    pending.delete(reply.id);
    if (pending.size === 0) w.unref();
    if (reply.error !== undefined) p.reject(new Error(`graphviz: ${reply.error}`));
    else p.resolve(reply.svg!);
  });
  w.on('error', failAll);
  w.on('exit', (code) => failAll(new Error(`graphviz worker exited with code ${code}`)));
  // Idle, the worker never keeps the process alive.
  w.unref();
  worker = w;
  return w;
}

/** Graphviz DOT → SVG. */
export function dotToSvg(dot: string): Promise<string> {
  const w = graphvizWorker();
  const id = nextId++;
  return new Promise<string>((resolve, reject) => {
    pending.set(id, { resolve, reject });
    w.ref();
    w.postMessage({ id, dot });
  });
}

/** Stops the worker (tests, shutdown); the next render starts a new one. */
export async function stopSvgRenderer(): Promise<void> {
  const w = worker;
  worker = undefined;
  if (w) await w.terminate();
}
