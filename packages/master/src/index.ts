export * from "./machine/index.js";
export * from "./views.js";
