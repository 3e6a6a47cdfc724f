export { startWorker, type WorkerConfig, type RunningWorker } from "./main.js";
