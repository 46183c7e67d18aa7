/**
 * sharelock-notebooks: the one module notebooks import. Re-exports only; no logic lives here.
 *
 * @example
 * ```ts
 * import * as sl from "../lib/mod.ts";
 * const backend = await sl.selectTfBackend();
 * sl.table([{ backend: backend.backend, reason: backend.reason }]);
 * ```
 * @module
 */
export * from "./runtime/paths.ts";
export * from "./runtime/atomic.ts";
export * from "./runtime/progress.ts";
export * from "./runtime/tf_backend.ts";
export * from "./runtime/onnx_device.ts";
export * from "./report/display.ts";
export * from "./report/summary.ts";
