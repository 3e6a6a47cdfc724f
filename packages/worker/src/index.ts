export { READINESS_SERVICE, startWorker, type WorkerConfig, type RunningWorker } from "./main.js";
