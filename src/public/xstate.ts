// `statera/xstate`: the XState the engine runs, for a process folder's machines.
export * from 'xstate';
