import type { Command } from '../command';
import { incidents, retry } from './incidents';
import { complete, tasks } from './tasks';
import { watch } from './watch';
import { get, history, list, signal, start } from './workflows';

/** Every command, in the order the help lists them. */
export const COMMANDS: readonly Command[] = [start, signal, get, list, history, watch, tasks, complete, incidents, retry];
