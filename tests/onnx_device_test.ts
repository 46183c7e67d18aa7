import assert from "node:assert/strict";
import {
  chooseDevice,
  type DeviceProbe,
  isSoftwareAdapter,
  ortSessionOptions,
  parseDeviceRequest,
  probeDevices,
  resolveDevice,
} from "../lib/runtime/onnx_device.ts";
import { prepareVulkan, swiftShaderManifest } from "../lib/runtime/vulkan.ts";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";

const probe = (device: DeviceProbe["device"], usable: boolean, extra: Partial<DeviceProbe> = {}): DeviceProbe => ({ device, usable, ...extra });

Deno.test("chooseDevice: auto takes cuda, then a hardware webgpu adapter, never a software one", () => {
  const cpu = probe("cpu", true);
  const none = { devices: [cpu, probe("webgpu", false, { reason: "no driver" }), probe("cuda", false, { reason: "not installed" })] };
  assert.equal(chooseDevice("auto", none), "cpu");
  const soft = { devices: [cpu, probe("webgpu", true, { software: true, adapter: "SwiftShader Device" }), probe("cuda", false)] };
  assert.equal(chooseDevice("auto", soft), "cpu", "auto skips a software adapter");
  assert.equal(chooseDevice("webgpu", soft), "webgpu", "asked for by name, a software adapter is accepted");
  const hard = { devices: [cpu, probe("webgpu", true, { adapter: "NVIDIA H200" }), probe("cuda", false)] };
  assert.equal(chooseDevice("auto", hard), "webgpu");
  const both = { devices: [cpu, probe("webgpu", true), probe("cuda", true)] };
  assert.equal(chooseDevice("auto", both), "cuda");
  assert.throws(() => chooseDevice("cuda", none), /"cuda" is not usable here: not installed/);
  assert.throws(() => chooseDevice("webgpu", none), /"webgpu" is not usable here: no driver/);
});

Deno.test("parseDeviceRequest accepts the four names and rejects others naming the field", () => {
  assert.equal(parseDeviceRequest(undefined), "auto");
  assert.equal(parseDeviceRequest(" WebGPU "), "webgpu");
  assert.throws(() => parseDeviceRequest("gpu"), /SHARELOCK_DEVICE="gpu" is not a device: use auto, cpu, webgpu or cuda/);
  assert.throws(() => parseDeviceRequest("tpu", "device"), /^Error: device="tpu"/);
});

Deno.test("isSoftwareAdapter knows the software rasterisers", () => {
  for (const s of ["SwiftShader Device (Subzero)", "llvmpipe (LLVM 15.0.6, 256 bits)", "Microsoft Basic Render Driver"]) assert.ok(isSoftwareAdapter(s), s);
  for (const s of ["NVIDIA H200", "AMD Radeon RX 7900 XTX", "Apple M3 Max", "Intel(R) Arc(tm) A770"]) assert.ok(!isSoftwareAdapter(s), s);
});

Deno.test("ortSessionOptions: a GPU device keeps the CPU provider as fallback", () => {
  assert.deepEqual(ortSessionOptions("cpu", { threads: 3 }).executionProviders, ["cpu"]);
  assert.deepEqual(ortSessionOptions("webgpu").executionProviders, ["webgpu", "cpu"]);
  assert.equal(ortSessionOptions("cuda", { threads: 1 }).intraOpNumThreads, 1);
});

Deno.test("prepareVulkan keeps the user's driver choice and otherwise finds one or says none", () => {
  if (Deno.build.os !== "linux") return;
  const vars = new Map<string, string>([["VK_ICD_FILENAMES", "/opt/x/nvidia_icd.json"], ["XDG_RUNTIME_DIR", "/tmp"]]);
  const env = { get: (k: string) => vars.get(k), set: (k: string, v: string) => void vars.set(k, v) };
  assert.deepEqual(prepareVulkan(env), { source: "user", manifests: ["/opt/x/nvidia_icd.json"] });
  const fresh = () => {
    const m = new Map<string, string>();
    return { m, env: { get: (k: string) => m.get(k), set: (k: string, v: string) => void m.set(k, v) } };
  };
  const a = fresh();
  assert.deepEqual(prepareVulkan(a.env, () => ["/dev/nvidia0"]), { source: "system", manifests: ["/dev/nvidia0"] });
  assert.equal(a.m.get("VK_ICD_FILENAMES"), undefined, "a GPU's own driver is left to the loader");
  assert.ok(a.m.get("XDG_RUNTIME_DIR"), "a runtime folder is made");
  const b = fresh();
  const icd = Deno.makeTempFileSync({ suffix: "vk_swiftshader_icd.json" });
  b.m.set("SHARELOCK_SWIFTSHADER_ICD", icd);
  assert.deepEqual(prepareVulkan(b.env, () => []), { source: "software", manifests: [icd] });
  assert.equal(b.m.get("VK_ICD_FILENAMES"), icd);
  const c = fresh();
  c.m.set("SHARELOCK_SWIFTSHADER_ICD", "/nonexistent.json");
  const none = prepareVulkan(c.env, () => []);
  assert.ok(none.source === "none" || none.manifests[0] !== "/nonexistent.json");
});

Deno.test("prepareVulkan: a SwiftShader already chosen in the environment (by another test module's isolate) still gets its loader loaded", async () => {
  if (Deno.build.os !== "linux") return;
  const manifest = swiftShaderManifest();
  if (!manifest || !existsSync(join(dirname(manifest), "libvulkan.so.1"))) {
    console.warn("[onnx_device_test] no SwiftShader with its own Vulkan loader here: nothing to check");
    return;
  }
  // a fresh process whose environment already names SwiftShader, as a second test module's isolate sees it
  const code = `import { prepareVulkan, vulkanLoaderPresent } from ${JSON.stringify(new URL("../lib/runtime/vulkan.ts", import.meta.url).href)};
prepareVulkan();
console.log(vulkanLoaderPresent());`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--config", new URL("../deno.json", import.meta.url).pathname, code],
    env: { VK_ICD_FILENAMES: manifest, VK_DRIVER_FILES: manifest },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  assert.equal(new TextDecoder().decode(out.stdout).trim(), "true");
});

Deno.test("probeDevices runs a real product on cpu and gives every unusable device a reason", async () => {
  const report = await probeDevices();
  assert.equal(report.devices.map((d) => d.device).join(","), "cpu,webgpu,cuda");
  assert.ok(report.devices[0].usable, "cpu works");
  for (const d of report.devices) if (!d.usable) assert.ok(d.reason && d.reason.length > 10, `${d.device} has a reason`);
  assert.equal(await resolveDevice("cpu"), "cpu");
  const auto = await resolveDevice("auto");
  assert.ok(["cpu", "webgpu", "cuda"].includes(auto));
  const gpu = report.devices[1];
  if (auto === "cpu") assert.ok(!gpu.usable || gpu.software, "auto chose cpu only when no hardware adapter works");
});
