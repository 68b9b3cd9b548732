export * from './association.ts';
export * from './c-find.ts';
export * from './c-store.ts';
export type { DimseLogger } from './connection.ts';
export * from './dimse-message.ts';
export * from './errors.ts';
export * from './pdu.ts';
export * from './server.ts';
