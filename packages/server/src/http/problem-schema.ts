/**
 * JSON schema of an RFC 9457 problem response, the body every refused request gets
 * (see `problemBody` in errors.ts). Kept in one place so the OpenAPI document describes
 * refusals the same way on every route: worklist routes register it as the shared
 * `problem` schema that other routes `$ref`, and routes that inline it use this object.
 */
export const problemSchema = {
  type: 'object',
  description: 'RFC 9457 problem details with a stable Confer error code',
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string' },
  },
  additionalProperties: true,
} as const;
