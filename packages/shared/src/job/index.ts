/**
 * What a job module may import (`@mr/shared/job`, also reachable as `@mr/shared` inside bundled
 * job modules): the job API and coded errors, with no dependency on the engine's runtime.
 */
export * from './define.js';
export { MrError } from '../errors.js';
