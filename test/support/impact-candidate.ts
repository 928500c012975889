// What `npm run impact` loads in the impact test: a module with the candidate (the newest version of its type) and the version it replaces.
import { scoredV1, scoredV3 } from './scored-definitions';

export const definitions = [scoredV1, scoredV3];
