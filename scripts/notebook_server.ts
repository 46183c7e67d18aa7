/**
 * Start a Jupyter server on localhost with the project's Deno kernel (the project-local kernelspec of
 * `ensureRunnerKernel`, put first on `JUPYTER_PATH`, so notebooks open with the kernel "deno" chosen and
 * pinned to this Deno). The classic Notebook (Debian `jupyter-notebook`) by default; JupyterLab when
 * asked for and importable. Used by `deno task lab` and by the browser front-end test.
 *
 * @example
 * ```ts
 * import { ensureEnvironment } from "./setup.ts";
 * import { REPO_ROOT } from "../lib/runtime/paths.ts";
 * const env = await ensureEnvironment();
 * const server = await startNotebookServer({ ...env, root: REPO_ROOT });
 * console.log(server.urlFor("notebooks/00_setup.ipynb"));
 * await server.stop();
 * ```
 */
import { join } from "node:path";

/** Options of {@link startNotebookServer}. */
export interface NotebookServerOptions {
  python: string;
  /** Folder holding `kernels/deno/kernel.json`. */
  jupyterPath: string;
  /** Folder the server serves (notebook paths are relative to it). */
  root: string;
  /** `notebook` (classic, default) or `lab`. */
  app?: "notebook" | "lab";
  /** Port (default: a free one). */
  port?: number;
  /** Access token (default: a random one). */
  token?: string;
  /** Extra environment for the server and its kernels. */
  env?: Record<string, string>;
  /** Keep the user's Jupyter config and runtime folders (default false: fresh ones in a temp folder). */
  userConfig?: boolean;
  /** Where the server's log goes: "inherit" (a person watching) or a file path (default: a temp file). */
  log?: "inherit" | string;
  /** Seconds to wait for the server to answer (default 60). */
  startTimeout?: number;
}

/** A running server. */
export interface NotebookServer {
  /** `http://127.0.0.1:<port>` */
  base: string;
  token: string;
  /** Log file (when not inherited). */
  logPath?: string;
  /** The browser URL of a notebook (path relative to `root`), token included. */
  urlFor(notebook: string): string;
  /** Stop the server and its kernels. */
  stop(): Promise<void>;
  /** Resolves when the server exits. */
  status: Promise<Deno.CommandStatus>;
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** The command-line arguments for the server (classic Notebook 6 uses `NotebookApp`, Lab `ServerApp`). Pure. */
export function serverArgs(app: "notebook" | "lab", o: { port: number; token: string; root: string; asRoot: boolean }): string[] {
  const cls = app === "lab" ? "ServerApp" : "NotebookApp";
  return [
    "-m",
    "jupyter",
    app,
    "--no-browser",
    `--${cls}.ip=127.0.0.1`,
    `--${cls}.port=${o.port}`,
    `--${cls}.port_retries=0`,
    `--${cls}.token=${o.token}`,
    `--${cls}.${app === "lab" ? "root_dir" : "notebook_dir"}=${o.root}`,
    ...(o.asRoot ? [`--${cls}.allow_root=True`] : []),
  ];
}

/** Start the server and wait until it answers on `/api/status`. */
export async function startNotebookServer(opts: NotebookServerOptions): Promise<NotebookServer> {
  const app = opts.app ?? "notebook";
  const port = opts.port ?? freePort();
  const token = opts.token ?? crypto.randomUUID().replaceAll("-", "");
  const base = `http://127.0.0.1:${port}`;
  const scratch = await Deno.makeTempDir({ prefix: "sharelock-jupyter-" });
  const jupyterPath = [opts.jupyterPath, opts.userConfig ? Deno.env.get("JUPYTER_PATH") : undefined].filter(Boolean).join(":");
  const env: Record<string, string> = { JUPYTER_PATH: jupyterPath, ...opts.env };
  if (!opts.userConfig) {
    Object.assign(env, { JUPYTER_CONFIG_DIR: join(scratch, "config"), JUPYTER_RUNTIME_DIR: join(scratch, "runtime"), JUPYTER_DATA_DIR: join(scratch, "data") });
  }
  const logPath = opts.log === "inherit" ? undefined : opts.log ?? join(scratch, "server.log");
  const logFile = logPath ? await Deno.open(logPath, { write: true, create: true, truncate: true }) : undefined;
  const child = new Deno.Command(opts.python, {
    args: serverArgs(app, { port, token, root: opts.root, asRoot: Deno.uid?.() === 0 }),
    env,
    stdin: "null",
    stdout: logFile ? "piped" : "inherit",
    stderr: logFile ? "piped" : "inherit",
  }).spawn();
  if (logFile) {
    // Both streams into one file (whole chunks, in arrival order); the file closes when both end.
    const copy = async (stream: ReadableStream<Uint8Array>) => {
      for await (const chunk of stream) await logFile.write(chunk).catch(() => 0);
    };
    Promise.all([copy(child.stdout), copy(child.stderr)]).catch(() => {}).finally(() => logFile.close());
  }
  const status = child.status;
  let exited = false;
  status.then(() => (exited = true));
  const stop = async () => {
    if (!exited) {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
      }, 5000);
      await status;
      clearTimeout(timer);
    }
    await Deno.remove(scratch, { recursive: true }).catch(() => {});
  };
  const deadline = Date.now() + 1000 * (opts.startTimeout ?? 60);
  while (true) {
    if (exited) {
      const log = logPath ? await Deno.readTextFile(logPath).catch(() => "") : "";
      await stop();
      throw new Error(`jupyter ${app} exited at start-up:\n${log.slice(-3000)}`);
    }
    try {
      const res = await fetch(`${base}/api/status?token=${token}`);
      await res.body?.cancel();
      if (res.ok) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`jupyter ${app} did not answer on ${base} within ${opts.startTimeout ?? 60} s (log: ${logPath})`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const urlFor = (nb: string) =>
    app === "lab" ? `${base}/lab/tree/${encodeURI(nb)}?token=${token}` : `${base}/notebooks/${encodeURI(nb)}?token=${token}`;
  return { base, token, logPath, urlFor, stop, status };
}
