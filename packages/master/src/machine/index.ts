export * from './types.js';
export { step } from './step.js';
export { initialState, aliveCores, DEFAULT_MACHINE_CONFIG } from './state.js';
export { attemptOutputDir } from './attempts.js';
