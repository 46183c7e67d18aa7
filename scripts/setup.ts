/**
 * First-run set-up, idempotent and quick once done. Each step checks before it acts:
 *
 * 1. npm packages: `deno install` into `node_modules/` (Deno's npm support; no npm install needed).
 * 2. Jupyter pieces for the headless runner (nbformat, jupyter_client, nbconvert) for Debian's python:
 *    installed with apt when running as root, otherwise the exact command is printed and set-up stops
 *    before changing anything.
 * 3. The Deno kernel: a project-local kernelspec (pinned to this Deno) for the runner, and the user-level
 *    `deno` kernel (`deno jupyter --install`) that VS Code and JupyterLab find, when none works yet.
 *
 * 4. With `--software-gpu` (the test command always asks for it, and so does `SHARELOCK_DEVICE=webgpu`):
 *    Chromium's software Vulkan (SwiftShader) where no GPU is present, so the WebGPU code path runs.
 *
 * Usage: `deno task setup [--software-gpu]` (all steps), or import the steps from other scripts.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { projectPaths } from "../lib/runtime/paths.ts";
import { gpuDeviceNodes, SWIFTSHADER_ASSET, SWIFTSHADER_FILES, swiftShaderManifest } from "../lib/runtime/vulkan.ts";
import { ensureDebAsset } from "../lib/data/assets.ts";
import { readSetting } from "../lib/runtime/env.ts";
import { checkEnvOrExit } from "./check_env.ts";

/** A set-up step that cannot go on; the message says what to do. */
export class SetupError extends Error {}

/** Debian packages that provide the runner's python modules. */
export const JUPYTER_APT_PACKAGES = ["jupyter-nbconvert", "python3-nbclient", "jupyter-client", "python3-jupyter-core"];
const PY_MODULES = ["nbformat", "jupyter_client", "nbconvert"];

/** The python the runner uses: `SHARELOCK_PYTHON`, else Debian's `/usr/bin/python3`, else `python3`. */
export function pythonPath(): string {
  return readSetting("python") ?? (existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3");
}

async function run(cmd: string, args: string[], opts: { quiet?: boolean; env?: Record<string, string> } = {}) {
  try {
    const out = await new Deno.Command(cmd, {
      args,
      env: opts.env,
      stdout: opts.quiet ? "piped" : "inherit",
      stderr: opts.quiet ? "piped" : "inherit",
    }).output();
    return { ok: out.success, stdout: opts.quiet ? new TextDecoder().decode(out.stdout) : "" };
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return { ok: false, stdout: "" };
    throw err;
  }
}

function log(msg: string) {
  console.error(`[setup] ${msg}`);
}

/** Install the npm packages named in deno.json (fast when `node_modules/` is current). */
export async function ensureNpmPackages(): Promise<void> {
  const { root } = projectPaths();
  const stamp = join(root, "node_modules", ".deno", ".setup-stamp");
  const lock = join(root, "deno.lock");
  const config = join(root, "deno.json");
  const newest = Math.max(...[lock, config].filter(existsSync).map((p) => Deno.statSync(p).mtime?.getTime() ?? 0));
  if (existsSync(stamp) && (Deno.statSync(stamp).mtime?.getTime() ?? 0) >= newest) return;
  log("installing npm packages (deno install) ...");
  const res = await new Deno.Command(Deno.execPath(), { args: ["install"], cwd: root }).output();
  if (!res.success) throw new SetupError("`deno install` failed: see the messages above (is the npm registry reachable?)");
  await Deno.mkdir(join(root, "node_modules", ".deno"), { recursive: true });
  await Deno.writeTextFile(stamp, new Date().toISOString());
}

async function pythonHasJupyter(python: string): Promise<boolean> {
  return (await run(python, ["-c", `import ${PY_MODULES.join(", ")}`], { quiet: true })).ok;
}

/** Make sure the runner's python can import nbformat, jupyter_client and nbconvert. */
export async function ensureJupyter(): Promise<string> {
  const python = pythonPath();
  if (await pythonHasJupyter(python)) return python;
  const failure = await aptInstall(JUPYTER_APT_PACKAGES);
  if (failure?.reason === "no-apt") {
    throw new SetupError(
      `${python} cannot import ${PY_MODULES.join(", ")} and apt-get is not available.\n` +
        `Install them with your package manager or pip (pip install nbformat jupyter_client nbconvert), ` +
        `then point SHARELOCK_PYTHON at that python and run the command again.`,
    );
  }
  if (failure?.reason === "not-root") {
    throw new SetupError(
      `${python} cannot import ${PY_MODULES.join(", ")}. Installing them needs root. Run:\n\n` +
        `  sudo ${failure.command}\n\nthen run the command again. (Nothing was changed.)`,
    );
  }
  if (failure || !(await pythonHasJupyter(python))) {
    throw new SetupError(`could not install Jupyter with \`${failure?.command ?? JUPYTER_APT_PACKAGES.join(" ")}\`; see apt's messages above.`);
  }
  return python;
}

/**
 * Write the project-local kernelspec that the runner uses (pinned to the Deno running this script)
 * and return the folder to put on `JUPYTER_PATH`.
 */
export async function ensureRunnerKernel(): Promise<string> {
  const dir = join(projectPaths().cache, "jupyter");
  const spec = {
    argv: [Deno.execPath(), "jupyter", "--kernel", "--conn", "{connection_file}"],
    display_name: "Deno",
    language: "typescript",
  };
  await Deno.mkdir(join(dir, "kernels", "deno"), { recursive: true });
  await Deno.writeTextFile(join(dir, "kernels", "deno", "kernel.json"), JSON.stringify(spec, null, 2));
  return dir;
}

/**
 * Register the user-level `deno` kernel that VS Code and JupyterLab list, when none is registered or
 * the registered one points at a Deno that no longer exists. Returns the kernel's Deno path.
 */
export async function ensureUserKernel(python = pythonPath()): Promise<string> {
  const probe = await run(python, [
    "-c",
    "import json; from jupyter_client.kernelspec import KernelSpecManager as K\n" +
    "try: print(json.dumps(K().get_kernel_spec('deno').argv))\nexcept Exception: print('null')",
  ], { quiet: true, env: { JUPYTER_PATH: "" } });
  const argv = probe.ok ? JSON.parse(probe.stdout.trim() || "null") as string[] | null : null;
  if (argv && existsSync(argv[0])) return argv[0];
  log("registering the Deno Jupyter kernel (deno jupyter --install) ...");
  const res = await new Deno.Command(Deno.execPath(), { args: ["jupyter", "--install"], stdout: "piped", stderr: "piped" })
    .output();
  if (!res.success) throw new SetupError(`deno jupyter --install failed:\n${new TextDecoder().decode(res.stderr)}`);
  return Deno.execPath();
}

/**
 * Make the WebGPU code path runnable on a machine without a GPU: when no GPU device node exists and no
 * SwiftShader is installed, unpack Chromium's software Vulkan (SwiftShader and its Vulkan loader, three
 * files of Debian's `chromium-common` package) into the cache. No root needed; `onnx_device.ts` finds it there.
 * Returns the driver manifest, or undefined where a GPU is present (its own driver is used).
 */
export async function ensureSoftwareAdapter(): Promise<string | undefined> {
  if (Deno.build.os !== "linux" || gpuDeviceNodes().length) return undefined;
  const found = swiftShaderManifest();
  if (found) return found;
  log("unpacking Chromium's software Vulkan (SwiftShader) for the WebGPU tests ...");
  const dir = await ensureDebAsset("chromium-common", projectPaths().cache, { as: SWIFTSHADER_ASSET, keep: SWIFTSHADER_FILES });
  return join(dir, SWIFTSHADER_FILES[0]);
}

/** Why {@link aptInstall} did not install: no apt, not root, or apt failed; `command` is what to run. */
export interface AptFailure {
  reason: "no-apt" | "not-root" | "failed";
  command: string;
  message: string;
}

/**
 * Install Debian packages with apt when running as root (refreshing the package lists once if the
 * first try fails; the retry shows apt's messages). Returns null when installed, else why not.
 */
export async function aptInstall(packages: string[]): Promise<AptFailure | null> {
  const command = `apt-get install -y --no-install-recommends ${packages.join(" ")}`;
  const args = command.split(" ").slice(1);
  if (!(await run("apt-get", ["--version"], { quiet: true })).ok) {
    return { reason: "no-apt", command, message: `apt-get is not available (install ${packages.join(", ")} yourself)` };
  }
  if (Deno.uid?.() !== 0) return { reason: "not-root", command, message: `installing needs root: sudo ${command}` };
  log(`installing ${packages.join(", ")}: ${command}`);
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  if ((await run("apt-get", args, { env, quiet: true })).ok) return null;
  log("apt-get install failed; refreshing package lists (apt-get update) and trying again ...");
  await run("apt-get", ["update"], { env, quiet: true });
  if ((await run("apt-get", args, { env })).ok) return null;
  return { reason: "failed", command, message: `\`${command}\` failed; see apt's messages above` };
}

/** Debian's Chromium for the browser tests and the demo check: its path, or why it cannot be had. */
export async function ensureChromium(): Promise<{ path: string } | { missing: string }> {
  const candidates = [readSetting("chromium"), "/usr/bin/chromium", "/usr/bin/chromium-browser"].filter((p): p is string => !!p);
  const found = () => candidates.find((p) => existsSync(p));
  if (found()) return { path: found()! };
  const why = await aptInstall(["chromium"]);
  return found() ? { path: found()! } : { missing: `Chromium is not installed and could not be installed: ${why?.message ?? "apt installed no /usr/bin/chromium"}` };
}

/** The classic Jupyter Notebook server (Debian `jupyter-notebook`) for `python`: null when ready, else why not. */
export async function ensureNotebookServer(python = pythonPath()): Promise<string | null> {
  const has = async () => (await run(python, ["-c", "import notebook.notebookapp"], { quiet: true })).ok;
  if (await has()) return null;
  const why = await aptInstall(["jupyter-notebook"]);
  return (await has()) ? null : `the Jupyter Notebook server is not importable by ${python}: ${why?.message ?? "apt did not provide it"}`;
}

/** Everything the notebooks and the runner need. Returns what the runner needs to start. */
export async function ensureEnvironment(opts: { softwareGpu?: boolean } = {}): Promise<{ python: string; jupyterPath: string }> {
  await ensureNpmPackages();
  const wantSoftware = opts.softwareGpu || readSetting("device") === "webgpu";
  if (wantSoftware) {
    try {
      await ensureSoftwareAdapter();
    } catch (err) {
      if (Deno.env.get("CI")) throw new SetupError(`the software WebGPU adapter could not be set up: ${(err as Error).message}`);
      log(`no software WebGPU adapter (the webgpu tests will say why they skip): ${(err as Error).message.split("\n")[0]}`);
    }
  }
  const python = await ensureJupyter();
  const jupyterPath = await ensureRunnerKernel();
  await ensureUserKernel(python);
  return { python, jupyterPath };
}

if (import.meta.main) {
  checkEnvOrExit("setup");
  try {
    const { python } = await ensureEnvironment({ softwareGpu: Deno.args.includes("--software-gpu") });
    log(`ready: deno ${Deno.version.deno}, runner python ${python}, cache ${projectPaths().cache}`);
  } catch (err) {
    if (err instanceof SetupError) {
      console.error(`\nSet-up stopped: ${err.message}`);
      Deno.exit(1);
    }
    throw err;
  }
}
