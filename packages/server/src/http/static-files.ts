import { createReadStream, existsSync, statSync } from 'node:fs';
import { extname, join, normalize } from 'node:path';
import type { FastifyInstance } from 'fastify';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.woff2': 'font/woff2',
};

/** Serves the built web app; unknown paths outside the API fall back to index.html (client-side routes). */
export function registerStaticFiles(app: FastifyInstance, root: string): void {
  const index = join(root, 'index.html');
  app.setNotFoundHandler((request, reply) => {
    const path = decodeURIComponent(request.url.split('?')[0] ?? '/');
    if (request.method !== 'GET' || path.startsWith('/api/') || path.startsWith('/dicomweb/')) {
      return reply
        .code(404)
        .type('application/problem+json')
        .send({
          type: 'https://confer.dev/problems/CONFER_ERR_NOT_FOUND',
          title: 'Not found',
          status: 404,
          detail: `no route for ${request.method} ${path}`,
          code: 'CONFER_ERR_NOT_FOUND',
        });
    }
    const file = normalize(join(root, path));
    const target = file.startsWith(root) && existsSync(file) && statSync(file).isFile() ? file : index;
    if (!existsSync(target)) {
      return reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .send('The web app is not built. Run "npm run build -w @confer/web" (npm start does this for you).');
    }
    const immutable = target.includes(`${join(root, 'assets')}`);
    reply.header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    reply.header(
      'content-security-policy',
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'",
    );
    return reply.type(TYPES[extname(target)] ?? 'application/octet-stream').send(createReadStream(target));
  });
}
