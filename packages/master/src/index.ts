export * from './machine/index.js';
export * from './views.js';
export { startMaster, MASTER_INFO_FILE, type MasterConfig, type RunningMaster } from './main.js';
export { isHiddenName, cutSplits, listInputFiles } from './splits/local.js';
export { checkLocations, DEFAULT_SPLIT_SIZE } from './submit.js';
export type { UiAuth } from './http/app.js';
