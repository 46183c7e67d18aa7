/**
 * `deno task lab [--port N] [--lab]`: set up, then start the classic Jupyter Notebook (Debian
 * `jupyter-notebook`, installed with apt when running as root) on localhost with the project's Deno
 * kernel chosen (the same server the front-end test drives), and print the URL to open. `--lab` starts
 * JupyterLab instead when it is installed for the runner's python (Debian has no JupyterLab package).
 * Ctrl-C stops it. Without a server, it says how to open the notebooks in VS Code.
 */
import { parseArgs } from "node:util";
import { ensureEnvironment, ensureNotebookServer, SetupError } from "./setup.ts";
import { startNotebookServer } from "./notebook_server.ts";
import { projectPaths } from "../lib/runtime/paths.ts";
import { checkEnvOrExit } from "./check_env.ts";

checkEnvOrExit("lab");

async function importable(python: string, module: string): Promise<boolean> {
  const r = await new Deno.Command(python, { args: ["-c", `import ${module}`], stdout: "null", stderr: "null" }).output()
    .catch(() => ({ success: false }));
  return r.success;
}

const { values } = parseArgs({ args: Deno.args, options: { port: { type: "string" }, lab: { type: "boolean" } } });
try {
  const { python, jupyterPath } = await ensureEnvironment();
  const root = projectPaths().root;
  let app: "notebook" | "lab" = "notebook";
  if (values.lab) {
    if (await importable(python, "jupyterlab")) app = "lab";
    else console.error(`JupyterLab is not installed for ${python} (no Debian package exists); starting the classic Notebook.`);
  }
  const missing = app === "notebook" ? await ensureNotebookServer(python) : null;
  if (missing) {
    console.error(`The Deno kernel is registered ("Deno"), but ${missing}.
Open the notebooks in VS Code instead: install the Jupyter extension, open ${root}/notebooks/00_setup.ipynb and pick the kernel "Deno".`);
    Deno.exit(1);
  }
  const server = await startNotebookServer({
    python,
    jupyterPath,
    root,
    app,
    port: values.port ? Number(values.port) : undefined,
    userConfig: true,
    log: "inherit",
  });
  console.log(`\nJupyter ${app === "lab" ? "Lab" : "Notebook"} with the project's Deno kernel is running. Open in a browser:\n\n  ${
    server.urlFor("notebooks/00_setup.ipynb")
  }\n\n(all notebooks: ${server.base}/${app === "lab" ? "lab/tree/notebooks" : "tree/notebooks"}?token=${server.token}). Ctrl-C stops the server.`);
  const stop = () => server.stop().then(() => Deno.exit(0));
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  Deno.exit((await server.status).code);
} catch (err) {
  if (!(err instanceof SetupError)) throw err;
  console.error(`\nSet-up stopped: ${err.message}`);
  Deno.exit(1);
}
