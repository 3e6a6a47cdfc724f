/**
 * The engine's pure parts: coded errors, the record order and codec, the job API. No RPC, S3 or
 * logging, so what runs in a task thread (the worker's task code, the built-in jobs) imports this
 * and a thread does not load grpc-js, the generated protocol and pino (about 0.3 s of CPU each).
 */
export * from './errors.js';
export * from './records/order.js';
export * from './records/codec.js';
export * from './job/define.js';
export * from './text.js';
