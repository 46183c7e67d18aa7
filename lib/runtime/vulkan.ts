/**
 * Pointing the Vulkan loader at a driver before any WebGPU work (Linux): the user's choice, the system's
 * GPU driver, or Chromium's software Vulkan (SwiftShader) with its own loader, so that onnxruntime's
 * WebGPU provider (Dawn) finds an adapter. Used by `onnx_device.ts`; set-up uses the file list to unpack
 * SwiftShader where no GPU is present.
 *
 * @example
 * ```ts
 * const setup = prepareVulkan();   // { source: "software", manifests: [".../vk_swiftshader_icd.json"] } here
 * console.log(setup.source, gpuDeviceNodes());
 * ```
 */
import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { projectPaths } from "./paths.ts";
import { readSetting } from "./env.ts";

/** How the Vulkan loader was pointed at a driver (Linux only). */
export interface VulkanSetup {
  source: "user" | "system" | "software" | "none";
  /** The driver manifest(s) set, or the GPU device nodes found. */
  manifests: string[];
}

/** GPU device nodes a hardware Vulkan driver would use (NVIDIA, DRM render nodes, WSL). */
export function gpuDeviceNodes(): string[] {
  const found: string[] = [];
  const scan = (dir: string, re: RegExp) => {
    try {
      for (const f of readdirSync(dir)) if (re.test(f)) found.push(join(dir, f));
    } catch { /* folder absent */ }
  };
  scan("/dev", /^(nvidia\d+|dxg)$/);
  scan("/dev/dri", /^renderD\d+$/);
  return found;
}

/** The files of Chromium's SwiftShader (software Vulkan) that the software adapter needs. */
export const SWIFTSHADER_FILES = ["vk_swiftshader_icd.json", "libvk_swiftshader.so", "libvulkan.so.1"].map((f) => `usr/lib/chromium/${f}`);
/** Where set-up keeps those files when Chromium is not installed (`<cache>/assets/deb/chromium-swiftshader`). */
export const SWIFTSHADER_ASSET = "chromium-swiftshader";

/** SwiftShader's manifest: `SHARELOCK_SWIFTSHADER_ICD`, an installed Chromium, or the copy set-up unpacked. */
export function swiftShaderManifest(env: { get(k: string): string | undefined } = Deno.env): string | undefined {
  const candidates = [
    readSetting("swiftshaderIcd", env),
    "/usr/lib/chromium/vk_swiftshader_icd.json",
    join(projectPaths(env).cache, "assets", "deb", SWIFTSHADER_ASSET, SWIFTSHADER_FILES[0]),
    "/usr/lib/chromium-browser/vk_swiftshader_icd.json",
    "/opt/google/chrome/vk_swiftshader_icd.json",
  ].filter((p): p is string => !!p);
  return candidates.find(existsSync);
}

/**
 * Point the Vulkan loader at a driver before any WebGPU work in this process (Linux): keep what the user
 * set (`VK_ICD_FILENAMES` / `VK_DRIVER_FILES`); else the system's drivers when a GPU device node exists
 * (`/dev/nvidia0`, `/dev/dri/renderD128`, `/dev/dxg`); else Chromium's SwiftShader when installed. Sets `XDG_RUNTIME_DIR` when missing (Dawn wants
 * one). Idempotent; returns what it chose.
 */
export function prepareVulkan(
  env: { get(k: string): string | undefined; set(k: string, v: string): void } = Deno.env,
  gpuNodes: () => string[] = gpuDeviceNodes,
): VulkanSetup {
  if (Deno.build.os !== "linux") return { source: "system", manifests: [] };
  if (!env.get("XDG_RUNTIME_DIR")) {
    const dir = join(Deno.env.get("TMPDIR") ?? "/tmp", `sharelock-xdg-${Deno.uid?.() ?? 0}`);
    Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
    env.set("XDG_RUNTIME_DIR", dir);
  }
  const user = env.get("VK_DRIVER_FILES") ?? env.get("VK_ICD_FILENAMES");
  if (user) {
    const manifests = user.split(":");
    // a SwiftShader set up by another isolate of this process (deno test runs each test module in its
    // own) or by the user: its loader still has to be loaded by this one, or WebGPU reads as missing
    for (const m of manifests) if (m.includes("swiftshader")) preloadVulkanLoader(dirname(m));
    return { source: user.includes("swiftshader") ? "software" : "user", manifests };
  }
  // driver manifests alone prove nothing (Mesa installs them without hardware): look for a GPU device node
  const nodes = gpuNodes();
  if (nodes.length) return { source: "system", manifests: nodes };
  const swift = swiftShaderManifest(env);
  if (!swift) return { source: "none", manifests: [] };
  env.set("VK_ICD_FILENAMES", swift);
  env.set("VK_DRIVER_FILES", swift);
  preloadVulkanLoader(dirname(swift));
  return { source: "software", manifests: [swift] };
}

/**
 * Without a system Vulkan loader, load the one that ships beside SwiftShader by its full path: Dawn's
 * later `dlopen("libvulkan.so.1")` then finds it by its soname (no LD_LIBRARY_PATH, no root).
 */
function preloadVulkanLoader(dir: string): void {
  const lib = join(dir, "libvulkan.so.1");
  if (vulkanLoaderPresent() || !existsSync(lib)) return;
  Deno.dlopen(lib, {}); // kept open for the life of the process, on purpose
  preloaded = lib;
}
let preloaded: string | undefined;

/** Whether the Vulkan loader library can be loaded (Linux). */
export function vulkanLoaderPresent(): boolean {
  if (Deno.build.os !== "linux") return true;
  const dirs = ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib", "/lib/x86_64-linux-gnu", "/usr/local/lib"];
  const extra = (Deno.env.get("LD_LIBRARY_PATH") ?? "").split(":").filter(Boolean);
  return !!preloaded || [...extra, ...dirs].some((d) => existsSync(join(d, "libvulkan.so.1")));
}
