export * from './access/roles.ts';
export * from './boards/board-session.ts';
export * from './case/lifecycle.ts';
export * from './case/model.ts';
export * from './critical/model.ts';
export * from './critical/protocol.ts';
export * from './imaging/measurement.ts';
export * from './peer-review/index.ts';
export * from './reporting/signed-report.ts';
export * from './routing/compiled-routing.ts';
export * from './routing/model.ts';
export * from './routing/readers-on-shift.ts';
export * from './routing/route-case.ts';
export * from './routing/routing-config-validation.ts';
export * from './routing/shift-calendar.ts';
export * from './sla/sla.ts';
export * from './time/clock.ts';

export const coreVersion = '0.1.0';
