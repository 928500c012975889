// The production client for the partner APIs that activities call. The sandbox (src/sandbox)
// is only the simulator of these contracts.
export * from './client';
export * from './errors';
export { CLIENT_PROBLEM_TYPES, type ProblemDetails } from './problem-types';
export type * from './types';
export { PARTNER_NAMES } from './types';
