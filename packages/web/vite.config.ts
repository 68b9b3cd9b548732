import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

// The dev server stands in for the Confer server, which serves dist/ at '/' and the API on the same
// origin; proxying keeps the session cookie first-party in development exactly as in production.
const conferServer = 'http://127.0.0.1:8300';

const require = createRequire(import.meta.url);

/**
 * The DICOM image loader's codecs find their WebAssembly through `new URL(<package export>, import.meta.url)`,
 * which a bundler cannot follow; the viewer points them at /codecs/ (its `wasmBasePath`) and this copies the
 * decoders there. JPEG lossless, RLE and 12-bit JPEG baseline are plain JavaScript and need nothing.
 */
const CODECS: Record<string, string> = {
  'libjpegturbowasm_decode.wasm': '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasm',
  'charlswasm_decode.wasm': '@cornerstonejs/codec-charls/decodewasm',
  'openjpegwasm_decode.wasm': '@cornerstonejs/codec-openjpeg/decodewasm',
  'openjphjs.wasm': '@cornerstonejs/codec-openjph/wasm',
};

function dicomCodecs(): Plugin {
  const files = Object.entries(CODECS).map(([name, spec]) => ({ name, path: require.resolve(spec) }));
  return {
    name: 'confer-dicom-codecs',
    generateBundle() {
      for (const f of files)
        this.emitFile({ type: 'asset', fileName: `codecs/${f.name}`, source: readFileSync(f.path) });
    },
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const f = files.find((x) => req.url === `/codecs/${x.name}`);
        if (!f) return next();
        res.setHeader('content-type', 'application/wasm');
        res.end(readFileSync(f.path));
      });
    },
  };
}

export default defineConfig({
  // Anchored to this folder so the build lands in packages/web/dist whatever the working directory.
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [react(), dicomCodecs()],
  resolve: {
    // Node's `events` for a dependency of Cornerstone (see the shim for why).
    alias: { events: fileURLToPath(new URL('./src/viewer/node-events-shim.ts', import.meta.url)) },
  },
  // The image loader's decode worker is an ES module worker.
  worker: { format: 'es' },
  optimizeDeps: {
    // Pre-bundling would break the loader's `new URL(..., import.meta.url)` worker in the dev server.
    exclude: ['@cornerstonejs/dicom-image-loader'],
    include: ['dicom-parser'],
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Cornerstone's chunk is large by nature; it is loaded only by the viewer route.
    chunkSizeWarningLimit: 4000,
    rolldownOptions: {
      // Cornerstone's modules import each other in cycles (a tool module and the tools index); without
      // strict order a class can be evaluated before the class it extends.
      output: { strictExecutionOrder: true },
    },
  },
  server: {
    proxy: {
      '/api': conferServer,
      '/dicomweb': conferServer,
    },
  },
});
