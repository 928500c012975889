import type { OpenAPIObject } from '@nestjs/swagger';
import type { DefinitionRegistry } from '../engine/definition/registry';
import { jsonSchema } from './definitions.presenter';

/**
 * The registered definitions, written into the OpenAPI document: `POST /v1/workflows` takes
 * one body per type (a `oneOf` with `type` as discriminator, each with the definition's input
 * schema and its example), and `POST /v1/workflows/{id}/events` one per event type with its
 * payload schema. Built when the document is, from what this process registers.
 */
export function documentWorkflowTypes(doc: OpenAPIObject, registry: DefinitionRegistry): void {
  const all = registry.all();
  const latest = [...new Map(all.map((d) => [d.type, d])).values()];
  const schemas = (doc.components ??= {}).schemas ??= {};
  const starts: { $ref: string }[] = [];
  const examples: Record<string, { summary: string; value: unknown }> = {};
  for (const d of latest) {
    const name = `Start_${d.type.replace(/-/g, '_')}`;
    schemas[name] = {
      type: 'object',
      title: `start ${d.type}`,
      description: d.description ?? undefined,
      required: ['type', 'input'],
      additionalProperties: false,
      properties: {
        type: { type: 'string', enum: [d.type] },
        version: { type: 'integer', enum: all.filter((x) => x.type === d.type).map((x) => x.version), description: 'a registered version; the latest when absent' },
        workflowId: { type: 'string', description: 'your id for it (letters, digits, ".", "_", ":", "-"); generated when absent' },
        businessKey: { type: 'string', maxLength: 200 },
        input: jsonSchema(d.input) as object,
      },
    };
    starts.push({ $ref: `#/components/schemas/${name}` });
    examples[d.type] = { summary: `start ${d.type} with its example input`, value: { type: d.type, input: d.exampleInput } };
  }
  const startBody = doc.paths['/v1/workflows']?.post?.requestBody as { content?: Record<string, { schema?: unknown; examples?: unknown }> } | undefined;
  if (startBody?.content?.['application/json'] && starts.length) {
    startBody.content['application/json'] = {
      schema: { oneOf: starts, discriminator: { propertyName: 'type', mapping: Object.fromEntries(latest.map((d, i) => [d.type, starts[i].$ref])) } },
      examples,
    };
  }

  const events = new Map<string, unknown>();
  for (const d of all) for (const [type, payload] of Object.entries(d.events ?? {})) if (!events.has(type)) events.set(type, jsonSchema(payload));
  const eventBody = doc.paths['/v1/workflows/{id}/events']?.post?.requestBody as { content?: Record<string, { schema?: unknown }> } | undefined;
  if (eventBody?.content?.['application/json'] && events.size) {
    eventBody.content['application/json'] = {
      schema: {
        oneOf: [...events].map(([type, payload]) => ({
          title: type,
          allOf: [{ type: 'object', required: ['type'], properties: { type: { type: 'string', enum: [type] } } }, payload as object],
        })),
        discriminator: { propertyName: 'type' },
      },
    };
  }
}
