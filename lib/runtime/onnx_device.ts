/**
 * The one place that decides where ONNX work runs: `cpu`, `webgpu` (onnxruntime-node's bundled Dawn:
 * Vulkan on Linux, Metal on macOS, D3D12 on Windows) or `cuda` (onnxruntime-node's CUDA 12 provider,
 * present only where its install script was approved). Encoders, the training engine and evaluation ask
 * here and never decide on their own.
 *
 * Every device is probed for real: a tiny onnxruntime session on that execution provider multiplies two
 * known matrices and the product is checked. For WebGPU the adapter's name comes from Deno's own WebGPU
 * (same Vulkan driver), and software adapters (SwiftShader, llvmpipe, WARP) are marked as such: `auto`
 * never picks one; asking for `webgpu` explicitly accepts one (that is how the tests run the GPU code
 * path on a machine without a GPU).
 *
 * The request comes from the call (`device` options), else `SHARELOCK_DEVICE`, else `auto`:
 * cuda when usable, else webgpu on a hardware adapter, else cpu.
 *
 * @example
 * ```ts
 * const device = await resolveDevice();                 // "cpu" here, "webgpu" on a GPU with Vulkan
 * const options = ortSessionOptions(device, { threads: 2 });
 * const report = await probeDevices();                  // one row per device, with the reason it is not usable
 * console.log(report.devices.map((d) => `${d.device}: ${d.usable ? d.adapter ?? "ok" : d.reason}`));
 * ```
 */
import * as ort from "onnxruntime-node";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { createRequire } from "node:module";
import { GraphBuilder } from "../onnx/proto.ts";
import { prepareVulkan, vulkanLoaderPresent, type VulkanSetup } from "./vulkan.ts";
import { type DeviceRequest, parseDevice, readSetting } from "./env.ts";

/** Devices ONNX work can run on. */
export type OnnxDevice = Exclude<DeviceRequest, "auto">;
/** What a caller may ask for (`auto` or a device). */
export type { DeviceRequest };

/** The probe of one device. */
export interface DeviceProbe {
  device: OnnxDevice;
  /** A session on this device computed the known product correctly. */
  usable: boolean;
  /** The adapter (webgpu) or provider that ran the probe. */
  adapter?: string;
  /** A software adapter (runs on the CPU; for correctness, not speed). */
  software?: boolean;
  /** Why the device is not usable, and what would make it so. */
  reason?: string;
  /** Milliseconds to create the probe session and run it. */
  probeMs?: number;
}

/** What onnxruntime-node offers on this machine. */
export interface DeviceReport {
  onnxruntime: string;
  /** Execution providers the binding lists as bundled or installed. */
  providers: string[];
  devices: DeviceProbe[];
  /** Where the Vulkan driver manifest came from (Linux): the user, the system, or Chromium's SwiftShader. */
  vulkan?: VulkanSetup;
}

const SOFTWARE_ADAPTER = /swiftshader|llvmpipe|lavapipe|softpipe|microsoft basic render|\bwarp\b/i;

/** Whether an adapter description names a software rasteriser. Pure. */
export function isSoftwareAdapter(description: string): boolean {
  return SOFTWARE_ADAPTER.test(description);
}

/** Parse a device request (`SHARELOCK_DEVICE` or an option), with an error that lists the choices. Pure. */
export function parseDeviceRequest(value: string | undefined, field = "SHARELOCK_DEVICE"): DeviceRequest {
  return parseDevice(value, field);
}

/**
 * Turn a request into a device, given the probes. Pure. `auto`: cuda when usable, else webgpu on a
 * hardware adapter, else cpu. An explicit device that is not usable is an error with the probe's reason.
 */
export function chooseDevice(request: DeviceRequest, report: Pick<DeviceReport, "devices">): OnnxDevice {
  const probe = (d: OnnxDevice) => report.devices.find((p) => p.device === d);
  if (request === "auto") {
    if (probe("cuda")?.usable) return "cuda";
    const gpu = probe("webgpu");
    if (gpu?.usable && !gpu.software) return "webgpu";
    return "cpu";
  }
  const p = probe(request);
  if (p?.usable) return request;
  throw new Error(`onnxruntime device "${request}" is not usable here: ${p?.reason ?? "it was not probed"}`);
}

/**
 * onnxruntime-node session options for a device. `threads` sets the CPU intra-op threads (also used by
 * the CPU fallback of GPU sessions); by default `SHARELOCK_ORT_THREADS`, else every core. `oneCall`: the
 * session serves one call and is released, so it takes its CPU memory from the process's allocator
 * rather than from a memory arena of its own (a new arena is memory the process has never touched, and
 * its first use costs page faults; freed memory of earlier calls is already mapped).
 */
export function ortSessionOptions(device: OnnxDevice, opts: { threads?: number; oneCall?: boolean } = {}): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: device === "cpu" ? ["cpu"] : [device, "cpu"],
    intraOpNumThreads: opts.threads ?? readSetting("ortThreads") ?? navigator.hardwareConcurrency,
    interOpNumThreads: 1,
    graphOptimizationLevel: "all",
    ...(opts.oneCall ? { enableCpuMemArena: false } : {}),
  };
}

/** The adapter Deno's own WebGPU sees (same driver as onnxruntime's Dawn). */
async function adapterName(): Promise<string | undefined> {
  const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<{ info?: { description?: string; vendor?: string; device?: string } } | null> } }).gpu;
  if (!gpu) return undefined;
  try {
    const adapter = await gpu.requestAdapter();
    const info = adapter?.info;
    if (!info) return undefined;
    return info.description || [info.vendor, info.device].filter(Boolean).join(" ") || undefined;
  } catch {
    return undefined;
  }
}

/** A 2x2 product every device must get right. */
function probeModel(): Uint8Array {
  const g = new GraphBuilder();
  g.output(g.op("MatMul", [g.input("a", "float32", [2, 2]), g.input("b", "float32", [2, 2])]), "c");
  return g.model("sharelock_device_probe");
}

async function runProbe(device: OnnxDevice): Promise<{ ok: true; ms: number } | { ok: false; error: string }> {
  const t0 = performance.now();
  let session: ort.InferenceSession | undefined;
  try {
    // no CPU fallback here: the product must come from the device itself
    session = await ort.InferenceSession.create(probeModel(), { executionProviders: [device], logSeverityLevel: 3 });
    const out = await session.run({
      a: new ort.Tensor("float32", Float32Array.of(1, 2, 3, 4), [2, 2]),
      b: new ort.Tensor("float32", Float32Array.of(5, 6, 7, 8), [2, 2]),
    });
    const c = Array.from(out.c.data as Float32Array);
    const want = [19, 22, 43, 50];
    if (c.some((x, i) => Math.abs(x - want[i]) > 1e-4)) return { ok: false, error: `wrong product [${c}] (want [${want}])` };
    return { ok: true, ms: performance.now() - t0 };
  } catch (err) {
    return { ok: false, error: (err as Error).message.split("\n")[0].replace(/^.*?\.cc:\d+ /, "") };
  } finally {
    await session?.release();
  }
}

async function probeWebgpu(listed: boolean, vulkan: VulkanSetup): Promise<DeviceProbe> {
  if (!listed) return { device: "webgpu", usable: false, reason: "this onnxruntime-node build has no WebGPU provider" };
  if (!vulkanLoaderPresent()) {
    return {
      device: "webgpu",
      usable: false,
      reason: "the Vulkan loader (libvulkan.so.1) is not installed: `apt-get install libvulkan1` (and your GPU's Vulkan driver)",
    };
  }
  if (vulkan.source === "none") {
    return {
      device: "webgpu",
      usable: false,
      reason: "no GPU device and no Vulkan driver: install your GPU's Vulkan driver; for the software adapter (SwiftShader) the tests use, run `deno task setup --software-gpu` or install Debian's `chromium`",
    };
  }
  const res = await runProbe("webgpu");
  if (!res.ok) return { device: "webgpu", usable: false, reason: `a WebGPU session failed: ${res.error}` };
  const adapter = await adapterName() ?? (vulkan.source === "software" ? "SwiftShader (software Vulkan)" : "unknown adapter");
  const software = isSoftwareAdapter(adapter) || vulkan.source === "software";
  return {
    device: "webgpu",
    usable: true,
    adapter,
    software,
    probeMs: res.ms,
    ...(software ? { reason: "software adapter: used only when webgpu is asked for by name (correctness, not speed)" } : {}),
  };
}

/** onnxruntime-node's CUDA provider library, when its install script has put it beside the binding. */
function cudaProviderLibrary(): string | undefined {
  try {
    const dir = dirname(createRequire(import.meta.url).resolve("onnxruntime-node"));
    const lib = join(dir, "..", "bin", "napi-v6", "linux", "x64", "libonnxruntime_providers_cuda.so");
    return existsSync(lib) ? lib : undefined;
  } catch {
    return undefined;
  }
}

const CUDA_MISSING = "onnxruntime-node's CUDA 12 provider is not installed: approve its install script (`deno approve-scripts`; it downloads from NuGet, needs CUDA 12)";

async function probeCuda(listed: boolean): Promise<DeviceProbe> {
  if (!listed) return { device: "cuda", usable: false, reason: "this onnxruntime-node build has no CUDA provider (CUDA is Linux x64 only)" };
  // without the library onnxruntime only logs a load failure: say why directly
  if (!cudaProviderLibrary()) return { device: "cuda", usable: false, reason: CUDA_MISSING };
  const res = await runProbe("cuda");
  if (res.ok) return { device: "cuda", usable: true, adapter: "CUDA execution provider", probeMs: res.ms };
  const missing = /libonnxruntime_providers_cuda|providers_shared|cannot open shared object/i.test(res.error);
  return {
    device: "cuda",
    usable: false,
    reason: missing ? CUDA_MISSING : `a CUDA session failed (is an NVIDIA driver for CUDA 12 present?): ${res.error}`,
  };
}

/** Execution providers the onnxruntime-node binding lists. */
function providerNames(): string[] {
  const list = (ort as unknown as { listSupportedBackends?: () => { name: string; bundled: boolean }[] })
    .listSupportedBackends?.() ?? [{ name: "cpu", bundled: true }];
  return list.map((b) => b.name);
}

const probes = new Map<string, Promise<DeviceReport>>();

/**
 * Probe every device (once per process and Vulkan setting: a GPU does not appear mid-run). Prepares the
 * Vulkan loader first (see {@link prepareVulkan}).
 */
export function probeDevices(): Promise<DeviceReport> {
  const vulkan = prepareVulkan();
  const key = JSON.stringify(vulkan);
  let report = probes.get(key);
  if (!report) {
    report = (async () => {
      const names = providerNames();
      const cpu = await runProbe("cpu");
      const devices: DeviceProbe[] = [
        cpu.ok
          ? { device: "cpu", usable: true, adapter: `${navigator.hardwareConcurrency} CPU threads`, probeMs: cpu.ms }
          : { device: "cpu", usable: false, reason: cpu.error },
        await probeWebgpu(names.includes("webgpu"), vulkan),
        await probeCuda(names.includes("cuda")),
      ];
      return { onnxruntime: ort.env.versions?.node ?? "unknown", providers: names, devices, vulkan };
    })();
    probes.set(key, report);
  }
  return report;
}

/**
 * The device to run on: the request (default `SHARELOCK_DEVICE`, else `auto`) checked against the probes.
 * An explicit device that is not usable is an error that says why.
 */
export async function resolveDevice(request?: DeviceRequest): Promise<OnnxDevice> {
  const req = request ?? readSetting("device");
  if (req === "cpu") return "cpu";
  // no GPU device node: WebGPU could only be a software adapter, which `auto` never takes, so none is started
  if (req === "auto" && ["software", "none"].includes(prepareVulkan().source)) {
    return chooseDevice("auto", { devices: [await probeCuda(providerNames().includes("cuda"))] });
  }
  return chooseDevice(req, await probeDevices());
}
