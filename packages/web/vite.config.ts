import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The dev server stands in for the Confer server, which serves dist/ at '/' and the API on the same
// origin; proxying keeps the session cookie first-party in development exactly as in production.
const conferServer = 'http://127.0.0.1:8300';

export default defineConfig({
  // Anchored to this folder so the build lands in packages/web/dist whatever the working directory.
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
  },
  server: {
    proxy: {
      '/api': conferServer,
      '/dicomweb': conferServer,
    },
  },
});
