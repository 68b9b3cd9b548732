export * from './discrepancy.ts';
export * from './radpeer.ts';
export * from './sampling.ts';
export * from './summary.ts';
