// The public entry point, `import { defineWorkflow } from 'statera'`: what a process written
// outside this repository needs to define a workflow. `statera/xstate` and `statera/zod`
// re-export the copies of XState and Zod the engine itself runs, so a process folder needs
// no second copy of either (a machine built by another XState, or an error class from
// another copy, would not be the engine's); `statera/testing` runs a definition's machine
// purely for unit and model tests; `statera/partners` is the partner APIs' client.
export * from './engine';
export { unsafeExits } from './engine/definition/unsafe-exits';
