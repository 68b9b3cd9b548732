import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../http/app.ts';
import { ErrorCode, problemBody } from '../http/errors.ts';
import { registerQido } from './qido-rs.ts';
import { DICOMWEB_PREFIX } from './service-url.ts';
import { registerStow } from './stow-rs.ts';
import { registerWado } from './wado-rs.ts';

export { DICOMWEB_PREFIX } from './service-url.ts';

/**
 * Mounts DICOMweb (PS3.18 10: STOW-RS, QIDO-RS, WADO-RS) at /dicomweb. Every route needs a signed-in actor
 * (API token or session); access checks and auditing happen in the archive services it calls.
 */
export async function registerDicomweb(app: FastifyInstance, deps: AppDeps): Promise<void> {
  await app.register(
    async (scope) => {
      // Bodies reach the handler as the raw stream: STOW-RS parses multipart/related itself, streaming, and
      // a body of the wrong type is answered 401 or 415 by the handler, which explains what to send.
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
      registerStow(scope, deps);
      registerQido(scope, deps);
      registerWado(scope, deps);
      scope.setNotFoundHandler((request, reply) =>
        reply
          .code(404)
          .type('application/problem+json')
          .send(
            problemBody(
              404,
              ErrorCode.NotFound,
              `${request.method} ${request.url.split('?')[0]} is not a DICOMweb resource Confer serves; rendered ` +
                'and thumbnail resources, bulk data other than Pixel Data, and UPS-RS are not supported yet',
            ),
          ),
      );
    },
    { prefix: DICOMWEB_PREFIX },
  );
}
