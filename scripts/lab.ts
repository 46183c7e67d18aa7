/**
 * `deno task lab`: set up, register the Deno kernel, and open the notebooks in JupyterLab (or the
 * classic Notebook) when one is installed; otherwise say how to open them in VS Code or install one.
 */
import { join } from "node:path";
import { ensureEnvironment, SetupError } from "./setup.ts";
import { projectPaths } from "../lib/runtime/paths.ts";

async function has(python: string, module: string): Promise<boolean> {
  const r = await new Deno.Command(python, { args: ["-c", `import ${module}`], stdout: "null", stderr: "null" }).output()
    .catch(() => ({ success: false }));
  return r.success;
}

try {
  const { python } = await ensureEnvironment();
  const dir = join(projectPaths().root, "notebooks");
  for (const [module, app] of [["jupyterlab", "lab"], ["notebook", "notebook"]]) {
    if (await has(python, module)) {
      console.error(`Opening ${dir} with jupyter ${app} (kernel "Deno") ...`);
      const status = await new Deno.Command(python, { args: ["-m", "jupyter", app, dir] }).spawn().status;
      Deno.exit(status.code);
    }
  }
  console.error(`The Deno kernel is registered ("Deno"). No JupyterLab or Notebook server is installed for ${python}.
Open the notebooks in one of these ways:
  - VS Code with the Jupyter extension: open ${dir}/00_setup.ipynb and pick the kernel "Deno";
  - JupyterLab: pip install jupyterlab (or: sudo apt-get install jupyter-notebook), then run this task again.`);
} catch (err) {
  if (!(err instanceof SetupError)) throw err;
  console.error(`\nSet-up stopped: ${err.message}`);
  Deno.exit(1);
}
