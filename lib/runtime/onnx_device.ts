/**
 * Which onnxruntime execution providers this machine can use (transformers.js runs on onnxruntime-node).
 * `cpu` always; `cuda` only when onnxruntime-node's CUDA provider library is installed (its install
 * script downloads it; this project does not approve that script offline) and a GPU driver is present.
 *
 * @example
 * ```ts
 * const info = onnxRuntimeInfo();
 * const device = resolveOnnxDevice("auto", info); // "cpu" here, "cuda" on a CUDA machine
 * ```
 */
import * as ort from "onnxruntime-node";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { createRequire } from "node:module";

/** Devices the encoders may ask for. */
export type OnnxDevice = "cpu" | "cuda" | "webgpu";

/** What onnxruntime-node offers here. */
export interface OnnxRuntimeInfo {
  version: string;
  /** Execution providers the binding was built with. */
  providers: string[];
  /** Devices that will actually run here. */
  usable: OnnxDevice[];
  /** Why an unusable device is unusable. */
  notes: Record<string, string>;
}

/** Inspect onnxruntime-node without starting a session. */
export function onnxRuntimeInfo(): OnnxRuntimeInfo {
  const list = (ort as unknown as { listSupportedBackends?: () => { name: string; bundled: boolean }[] })
    .listSupportedBackends?.() ?? [{ name: "cpu", bundled: true }];
  const usable: OnnxDevice[] = ["cpu"];
  const notes: Record<string, string> = {};
  let binDir = "";
  try {
    binDir = dirname(createRequire(import.meta.url).resolve("onnxruntime-node"));
  } catch { /* not resolvable: notes below say so */ }
  const cudaLib = ["../bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so"].map((p) => join(binDir, p))
    .find(existsSync);
  if (list.some((b) => b.name === "cuda")) {
    if (!cudaLib) notes.cuda = "onnxruntime-node's CUDA provider library is not installed (its install script was not run)";
    else if (!existsSync("/dev/nvidia0")) notes.cuda = "no NVIDIA GPU device (/dev/nvidia0) on this machine";
    else usable.push("cuda");
  } else notes.cuda = "this onnxruntime-node build has no CUDA provider";
  notes.webgpu = "WebGPU is not available to onnxruntime-node in Deno here";
  return { version: ort.env.versions?.node ?? "unknown", providers: list.map((b) => b.name), usable, notes };
}

/**
 * Turn a requested device into one that runs here. `auto` picks cuda when usable, else cpu. An explicit
 * device that is not usable is an error that says why.
 */
export function resolveOnnxDevice(request: "auto" | OnnxDevice, info: OnnxRuntimeInfo = onnxRuntimeInfo()): OnnxDevice {
  if (request === "auto") return info.usable.includes("cuda") ? "cuda" : "cpu";
  if (info.usable.includes(request)) return request;
  throw new Error(`onnxruntime device "${request}" is not available: ${info.notes[request] ?? "unknown reason"}`);
}
