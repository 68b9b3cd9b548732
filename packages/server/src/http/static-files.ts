import { createReadStream, existsSync, statSync } from 'node:fs';
import { extname, join, normalize } from 'node:path';
import type { FastifyReply } from 'fastify';
import { VIEWER_STYLE_SOURCES } from './viewer-csp.ts';

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

/** Serves a file of the built web app; paths it does not have get index.html (client-side routes). */
export function serveWebFile(root: string, path: string, reply: FastifyReply): FastifyReply {
  const index = join(root, 'index.html');
  const file = normalize(join(root, path));
  const target = file.startsWith(root) && existsSync(file) && statSync(file).isFile() ? file : index;
  if (!existsSync(target)) {
    return reply
      .code(503)
      .type('text/plain; charset=utf-8')
      .send('The web app is not built. Run "npm run build" (npm start does this for you).');
  }
  const immutable = target.startsWith(join(root, 'assets'));
  reply.header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
  reply.header(
    'content-security-policy',
    // The viewer's image codecs are WebAssembly ('wasm-unsafe-eval') decoding in module workers.
    `default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; style-src 'self' ${VIEWER_STYLE_SOURCES}; img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'`,
  );
  return reply.type(TYPES[extname(target)] ?? 'application/octet-stream').send(createReadStream(target));
}
