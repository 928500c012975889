export const OPERATOR_SERVICE = Symbol('OperatorService');
export const BATCHES = Symbol('BatchOperations');
export const INCIDENT_QUERIES = Symbol('IncidentQueries');
export const OPERATIONS_RUNNER = Symbol('OperationsRunner');
