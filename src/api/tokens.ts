export const ENGINE = Symbol('WorkflowEngine');
export const QUERIES = Symbol('WorkflowQueries');
export const REGISTRY = Symbol('DefinitionRegistry');
