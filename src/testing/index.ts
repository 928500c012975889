// `statera/testing`: a definition's machine run purely, for a process's unit and model tests.
export { simulate, activityDone, activityFailed, timerFired, timerEvents, type Simulation, type SimulatedStep, type EngineEffect, type AnyEvent } from './simulate';
export { planCoverage, machineTransitions, type CoverageModel, type CoveragePlan, type ModelPath, type ModelStep } from './coverage';
