// `statera/zod`: the Zod the engine validates with, for a process folder's input and event schemas.
export * from 'zod';
