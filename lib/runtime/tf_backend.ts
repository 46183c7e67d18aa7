/**
 * Choose the TensorFlow.js backend, loudly. `tf.setBackend` returns `false` and silently stays on
 * another backend when one fails; here every attempt is checked and recorded, and the choice says why.
 *
 * Order in `auto` mode: `tensorflow` from `@tensorflow/tfjs-node-gpu` (when the package is in the import
 * map and libtensorflow loads), then `@tensorflow/tfjs-node`, then `wasm`, then `cpu`.
 * Force one with the `prefer` argument or the `SHARELOCK_TF_BACKEND` environment variable
 * (`tensorflow`, `wasm`, `cpu`); a forced backend that fails is an error, not a fallback.
 *
 * To use a CUDA GPU: `deno add npm:@tensorflow/tfjs-node-gpu@4.22.0 && deno approve-scripts` on a machine
 * where its install script can download libtensorflow.
 *
 * @example
 * ```ts
 * const choice = await selectTfBackend();
 * console.log(choice.backend, "-", choice.reason); // "wasm - tfjs-node-gpu not installed; ..."
 * ```
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { readSetting } from "./env.ts";

/** Backends this project knows how to start. */
export type TfBackendName = "tensorflow" | "wasm" | "cpu";

/** One attempt to start a backend. */
export interface BackendAttempt {
  backend: TfBackendName;
  /** The npm package that provides it, when it is not part of `@tensorflow/tfjs`. */
  package?: string;
  ok: boolean;
  detail: string;
}

/** The backend in use and how it was chosen. */
export interface BackendChoice {
  backend: TfBackendName;
  /** One sentence: why this backend (what was tried before it and why it failed). */
  reason: string;
  attempts: BackendAttempt[];
}

const NODE_PACKAGES = ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"];

async function tryNodeBinding(pkg: string): Promise<BackendAttempt> {
  const attempt: BackendAttempt = { backend: "tensorflow", package: pkg, ok: false, detail: "" };
  try {
    import.meta.resolve(pkg);
  } catch {
    attempt.detail = `${pkg} not installed (deno add npm:${pkg}@4.22.0)`;
    return attempt;
  }
  try {
    await import(pkg); // registers the "tensorflow" backend when libtensorflow loads
  } catch (err) {
    attempt.detail = `${pkg} failed to load: ${(err as Error).message.split("\n")[0]}`;
    return attempt;
  }
  return await trySet("tensorflow", attempt);
}

async function trySet(name: TfBackendName, attempt: BackendAttempt): Promise<BackendAttempt> {
  try {
    const ok = await tf.setBackend(name);
    await tf.ready();
    if (!ok || tf.getBackend() !== name) {
      attempt.detail = `setBackend("${name}") returned ${ok}; tfjs is on "${tf.getBackend()}"`;
      return attempt;
    }
    // A tiny op proves the backend computes (a broken wasm binary fails here, not at setBackend).
    const v = tf.tidy(() => tf.matMul(tf.ones([2, 2]), tf.ones([2, 2])).dataSync()[0]);
    if (v !== 2) throw new Error(`1x1 test matmul gave ${v}`);
    attempt.ok = true;
    attempt.detail = `setBackend("${name}") ok`;
  } catch (err) {
    attempt.detail = `${name} failed: ${(err as Error).message.split("\n")[0]}`;
  }
  return attempt;
}

/**
 * Start the best available backend (or the one asked for) and report the choice.
 * @param prefer `auto` (default: `SHARELOCK_TF_BACKEND` or auto), or a backend to force.
 */
export async function selectTfBackend(
  prefer: "auto" | TfBackendName = readSetting("tfBackend"),
): Promise<BackendChoice> {
  const attempts: BackendAttempt[] = [];
  const order: TfBackendName[] = prefer === "auto" ? ["tensorflow", "wasm", "cpu"] : [prefer];
  for (const name of order) {
    if (name === "tensorflow") {
      for (const pkg of NODE_PACKAGES) {
        const a = await tryNodeBinding(pkg);
        attempts.push(a);
        if (a.ok) break;
      }
    } else {
      attempts.push(await trySet(name, { backend: name, ok: false, detail: "" }));
    }
    const win = attempts.find((a) => a.ok);
    if (win) {
      const failed = attempts.filter((a) => !a.ok).map((a) => a.detail);
      const why = prefer === "auto" ? (failed.length ? `${failed.join("; ")}; using ${name}` : `${name} is the first choice`)
        : `forced by request`;
      return { backend: name, reason: why, attempts };
    }
  }
  const details = attempts.map((a) => a.detail).join("; ");
  if (prefer !== "auto") throw new Error(`TensorFlow.js backend "${prefer}" was requested but could not start: ${details}`);
  throw new Error(`no TensorFlow.js backend could start: ${details}`);
}
