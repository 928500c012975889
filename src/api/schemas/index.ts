import type { SchemaObject } from '@nestjs/swagger';
import * as admin from './admin.schema';
import * as audit from './audit.schema';
import * as consoleViews from './console.schema';
import * as definitions from './definition.schema';
import * as health from './health.schema';
import * as operations from './operations.schema';
import * as problem from './problem.schema';
import * as tasks from './task.schema';
import * as workflows from './workflow.schema';
import * as schedules from './schedule.schema';

/**
 * Every named response schema of the API, registered in the OpenAPI document under its
 * export name: what the typed client's `components['schemas']` holds.
 */
export const COMPONENT_SCHEMAS: Readonly<Record<string, SchemaObject>> = { ...problem, ...workflows, ...definitions, ...tasks, ...operations, ...admin, ...audit, ...consoleViews, ...health, ...schedules };

export { ref, type Schema } from './dsl';
