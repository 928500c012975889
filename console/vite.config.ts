import path from 'node:path';
import { defineConfig } from 'vite';

const root = import.meta.dirname;

/**
 * The web console, built into dist/console, which the API serves at `/`. Vite transforms
 * TSX itself (oxc) with React's automatic runtime: no plugin, nothing fetched at build time.
 */
export default defineConfig({
  root,
  base: '/',
  publicDir: path.join(root, 'public'),
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
  build: {
    outDir: path.resolve(root, '..', 'dist', 'console'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    chunkSizeWarningLimit: 800,
  },
  server: { host: '127.0.0.1', proxy: { '/v1': 'http://127.0.0.1:3000' } },
});
