export * from './access/roles.ts';
export * from './time/clock.ts';

export const coreVersion = '0.1.0';
