import { bool, int, json, list, nullable, object, oneOfValues, openObject, optional, ref, text, timestamp } from './dsl';

export const RetryPolicy = object({
  initialIntervalMs: int(),
  backoffCoefficient: { type: 'number' },
  maximumIntervalMs: int(),
  maximumAttempts: int('attempts in all, the first included'),
  nonRetryableErrorTypes: list(text()),
});

/** src/api/definitions.presenter.ts `describeDefinition`. */
export const Definition = object(
  {
    type: text(),
    version: int(),
    latest: bool('the version a start without `version` takes'),
    description: nullable(text()),
    input: openObject('the input as JSON Schema'),
    exampleInput: json('an input that runs to a business outcome'),
    events: list(object({ type: text(), payload: openObject('the payload as JSON Schema') }), 'the signals it accepts'),
    cancelEvent: text('the event a cancellation delivers'),
    activities: list(object({ name: text(), retry: ref('RetryPolicy'), startToCloseTimeoutMs: int() })),
    states: list(text(), 'every state as a dotted path'),
    moveTargets: list(text(), 'the states an operator may move an instance to (not final)'),
  },
  'A registered workflow definition',
);
export const DefinitionList = object({ items: list(ref('Definition')) });

const LIFECYCLE = oneOfValues(['active', 'deprecated', 'retired'], '`active`: new starts may take it; `deprecated`: refused for new starts, instances run on; `retired`: gone for good (only without live instances)');

/** src/versions/definition-catalog.ts `VersionView`. */
export const DefinitionVersion = object(
  {
    version: int(),
    lifecycle: LIFECYCLE,
    lifecycleReason: nullable(text()),
    lifecycleBy: nullable(text('the principal who changed it')),
    lifecycleAt: nullable(timestamp()),
    registered: bool('this deployment registers it: it can start and run its instances'),
    startDefault: bool('the newest active registered version: what a start without `version` takes'),
    hash: text('SHA-256 over states, transitions, guards and schemas (the compliance report names it)'),
    changedSinceDeployed: bool('the registered machine differs from what was first deployed under this version'),
    firstDeployedAt: nullable(timestamp()),
    lastDeployedAt: nullable(timestamp()),
    instances: object({
      total: int(),
      live: int('running, waiting or paused'),
      byStatus: { type: 'object', additionalProperties: { type: 'integer' }, description: 'instance counts by status' },
      byState: list(object({ state: text(), status: text(), count: int() }), 'instance counts by current state, most first'),
    }, "the caller's tenant's instances"),
  },
  'A version of a definition, deployed now or before',
);
export const DefinitionVersions = object({ type: text(), versions: list(ref('DefinitionVersion'), 'oldest first') });

const StepOutcome = object({ state: json('the state value'), actions: list(text(), 'what the engine would do: `invoke <src>`, `timer <delay> in <ms> ms`, `effect <name>`, …') });

/** src/versions/impact.ts `ImpactReport`. */
export const ImpactReport = object(
  {
    type: text(),
    candidate: object({ version: int(), source: text('a registered version, or the module a CI step loaded') }),
    fromVersions: list(int(), 'the versions whose live instances were replayed'),
    summary: object({
      instances: int(),
      identical: int(),
      diverges: int(),
      incompatible: int(),
      byState: list(object({ state: text(), identical: int(), diverges: int(), incompatible: int() }), 'by current state'),
    }),
    items: list(
      object({
        workflowId: text(),
        tenant: text(),
        version: int(),
        status: text(),
        state: json('its current state value'),
        result: oneOfValues(['identical', 'diverges', 'incompatible']),
        replayed: int('recorded inputs replayed, the start included'),
        divergence: optional(
          object({
            seq: int('the history record where the candidate differs'),
            kind: text(),
            event: nullable(text()),
            recorded: StepOutcome,
            candidate: nullable(StepOutcome),
            reason: optional(text('the candidate threw')),
          }),
        ),
        reason: optional(text('why its snapshot does not restore')),
      }),
    ),
    truncated: bool('more live instances than the limit: the first ones by id are reported'),
    comparedActions: bool('actions were compared too (the instances\' own versions are registered here)'),
  },
  'The impact of a candidate version on live instances',
);
