export { buildSandbox, createSandboxApp, type SandboxInstance, type SandboxOptions } from './app';
export { startSandbox, type RunningSandbox, type StartSandboxOptions } from './server';
export * from './client';
export { PROBLEMS, problemType, CLIENT_PROBLEM_TYPES, type ProblemDetails, type ProblemSlug } from '../partners/problem-types';
export { mulberry32 } from './random';
export { PARTNER_NAMES } from './partner';
