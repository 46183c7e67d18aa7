/**
 * `deno task doctor <model id or folder> [--dtype fp16] [--device cpu] [--models-dir DIR] [--no-run] [--json]`:
 * what a Hugging Face ONNX model is and whether it runs here, with the reason and fix when it does not
 * (see lib/encoders/hf/doctor.ts). Exit status 1 when it will not run.
 */
import { parseArgs } from "node:util";
import { formatModelReport, inspectModel } from "../lib/encoders/hf/doctor.ts";
import type { ModelDtype } from "../lib/encoders/hf/hf_layout.ts";
import { parseDeviceRequest } from "../lib/runtime/onnx_device.ts";
import { checkEnvOrExit } from "./check_env.ts";

checkEnvOrExit("doctor");

const { values: args, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    dtype: { type: "string" },
    device: { type: "string" },
    "models-dir": { type: "string" },
    batch: { type: "string" },
    "no-run": { type: "boolean" },
    json: { type: "boolean" },
    help: { type: "boolean" },
  },
});
if (args.help || positionals.length !== 1) {
  console.log("usage: deno task doctor <model id or folder> [--dtype fp32|fp16|q8|int8|uint8|q4|q4f16|bnb4] [--device auto|cpu|webgpu|cuda] [--models-dir DIR] [--batch N] [--no-run] [--json]");
  Deno.exit(args.help ? 0 : 2);
}
try {
  const report = await inspectModel(positionals[0], {
    dtype: args.dtype as ModelDtype | undefined,
    device: args.device ? parseDeviceRequest(args.device, "--device") : undefined,
    localModelPath: args["models-dir"],
    run: !args["no-run"],
    batch: args.batch ? Number(args.batch) : undefined,
  });
  console.log(args.json ? JSON.stringify(report, null, 2) : formatModelReport(report));
  Deno.exit(report.runs ? 0 : 1);
} catch (err) {
  console.error(`doctor: ${(err as Error).message}`);
  Deno.exit(2);
}
