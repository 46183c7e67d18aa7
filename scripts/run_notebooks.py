#!/usr/bin/python3
"""Execute Jupyter notebooks headless with the Deno kernel and write executed copies and HTML reports.

Why not `jupyter nbconvert --execute`: the Deno kernel (2.9) sometimes sends a cell's output AFTER it
has reported `idle`, and nbclient stops listening at `idle`, so outputs go missing at random. This runner
speaks the Jupyter protocol directly:

* every iopub message is routed to the cell whose request is its `parent_header.msg_id`, whenever it
  arrives, so late output is never lost or given to the wrong cell;
* after each cell a silent, empty "sentinel" request runs; the kernel answers requests in order, so once
  the sentinel is idle the previous cell's late output has been flushed (anything parented to the
  sentinel is given to the cell it follows); a short quiet drain follows;
* `update_display_data` rewrites the output that carries the same display id (progress bars end showing
  their final state) and `clear_output` is honoured.

Usage: run_notebooks.py --out-dir DIR [--kernel deno] [--timeout S] [--messages] NOTEBOOK...
Writes DIR/<name>.ipynb, DIR/<name>.html and DIR/<name>.kernel.log per notebook (with --messages also
DIR/<name>.messages.jsonl: every output message the kernel sent, as sent, one JSON object per line with
the 1-based cell number, msg_type and content); prints one JSON line
per notebook on stdout ({"notebook", "ok", "seconds", "cells", "failed_cell", "error"}); progress goes to
stderr: which cell runs, and the notebook's own progress displays (`lib/runtime/progress.ts`) relayed as
one line that updates in place on a terminal, or as plain lines (every 10% of a bar, and at least every
30 s while a cell runs) when stderr is a file or a pipe. Exit status 0 when every notebook ran without error, 1 otherwise. A notebook that fails does not
stop the others.
"""
import argparse
import datetime
import json
import os
import queue
import re
import signal
import sys
import time

import nbformat
from jupyter_client.manager import KernelManager

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).isoformat()


PROGRESS_COUNTS = re.compile(r"(\d+)/(\d+) \((\d+)%\)")


def clock(seconds):
    s = int(round(seconds))
    h, m, r = s // 3600, (s % 3600) // 60, s % 60
    return f"{h}:{m:02d}:{r:02d}" if h else f"{m}:{r:02d}"


def progress_text(content):
    """The plain text of a progress display (`lib/runtime/progress.ts`), or None for any other output."""
    data = content.get("data", {}) or {}
    display_id = (content.get("transient", {}) or {}).get("display_id") or ""
    html = data.get("text/html", "")
    html = "".join(html) if isinstance(html, list) else html
    if not (display_id.startswith("progress-") or "sharelock-progress" in html):
        return None
    text = data.get("text/plain", "")
    text = "".join(text) if isinstance(text, list) else text
    return ANSI.sub("", text).strip() or None


def notice_text(content):
    """The plain text of a notice (`lib/runtime/notice.ts`: what a grid will do), or None for any other output."""
    data = content.get("data", {}) or {}
    html = data.get("text/html", "")
    html = "".join(html) if isinstance(html, list) else html
    if "sharelock-notice" not in html:
        return None
    text = data.get("text/plain", "")
    text = "".join(text) if isinstance(text, list) else text
    return ANSI.sub("", text).strip() or None


class Relay:
    """Relays what a notebook is doing to the terminal while its cells run.

    On a terminal: one line, rewritten in place, with the notebook, the cell, and the newest progress
    display's text (what is being trained or extracted, done/total, rate, time left), or the cell's
    running time when it shows none. Elsewhere (a file, a CI log): a plain line each time a progress
    display passes another tenth, and a line at least every `quiet` seconds while a cell runs.
    """

    def __init__(self, name, stream=None, tty=None, now=time.time, quiet=30.0, refresh=0.5):
        self.name = name
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.now = now
        self.quiet = quiet
        self.refresh = refresh
        self.cell = ""
        self.cell_started = now()
        self.text = None
        self.last_write = 0.0
        self.tenths = {}
        self.open_line = False

    def _write(self, text, final=False):
        if self.tty:
            self.stream.write(f"\r{text}\x1b[K" + ("\n" if final else ""))
            self.open_line = not final
        else:
            self.stream.write(text + "\n")
        self.stream.flush()
        self.last_write = self.now()

    def _line(self):
        head = f"[{self.name}] {self.cell}"
        if self.text:
            return f"{head}  {self.text}"
        return f"{head}  running {clock(self.now() - self.cell_started)}"

    def start_cell(self, cell):
        self.cell, self.cell_started, self.text, self.tenths = cell, self.now(), None, {}
        self._write(self._line() if self.tty else f"[{self.name}] {cell} ...")

    def end_cell(self, status, seconds):
        self._write(f"[{self.name}] {self.cell} {status} in {seconds:.1f} s", final=True)

    def progress(self, display_id, text):
        self.text = text
        if self.tty:
            if self.now() - self.last_write >= min(self.refresh, 0.2):
                self._write(self._line())
            return
        m = PROGRESS_COUNTS.search(text)
        done, total = (int(m.group(1)), int(m.group(2))) if m else (0, 0)
        tenth = (10 * done // total) if total else 0
        key = display_id or text.split("  ")[0]
        if tenth != self.tenths.get(key) or (total and done >= total) or self.now() - self.last_write >= self.quiet:
            self.tenths[key] = tenth
            self._write(self._line())

    def note(self, text):
        """A notice of the running cell (a grid's plan) as a line of its own, kept above the updating line."""
        self._write(f"[{self.name}] {self.cell}  {text}", final=True)

    def heartbeat(self):
        """Called while waiting on the kernel: keeps the line moving when nothing else is said."""
        gap = self.refresh if self.tty else self.quiet
        if self.now() - self.last_write >= gap:
            self._write(self._line())

    def close(self):
        if self.tty and self.open_line:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.open_line = False


class CellState:
    """Outputs of one cell, built from iopub messages."""

    def __init__(self, cell, index=None):
        self.cell = cell
        self.index = index
        self.outputs = []
        self.clear_pending = False

    def append(self, output):
        if self.clear_pending:
            self.outputs.clear()
            self.clear_pending = False
        if (output["output_type"] == "stream" and self.outputs
                and self.outputs[-1]["output_type"] == "stream"
                and self.outputs[-1]["name"] == output["name"]):
            self.outputs[-1]["text"] += output["text"]
            return self.outputs[-1]
        self.outputs.append(output)
        return output


class NotebookRun:
    def __init__(self, kc, cell_timeout, settle, messages=None, relay=None):
        self.kc = kc
        self.relay = relay  # Relay for the terminal, or None
        self.messages = messages  # open file for the raw output messages, or None
        self.cell_timeout = cell_timeout
        self.settle = settle
        self.owner = {}      # request msg_id -> CellState
        self.displays = {}   # display_id -> [output dicts]
        self.idle = set()    # request msg_ids whose status went idle
        self.replies = {}    # request msg_id -> execute_reply content

    # -- message handling ---------------------------------------------------------------------
    def handle_iopub(self, msg):
        parent = msg.get("parent_header", {}).get("msg_id")
        kind = msg["msg_type"]
        content = msg["content"]
        if kind == "status":
            if content.get("execution_state") == "idle" and parent:
                self.idle.add(parent)
            return
        state = self.owner.get(parent)
        if self.messages is not None and state is not None and kind != "execute_input":
            self.messages.write(json.dumps({"cell": state.index, "msg_type": kind, "content": content}) + "\n")
        if self.relay is not None and kind in ("display_data", "update_display_data"):
            text = progress_text(content)
            if text:
                self.relay.progress((content.get("transient", {}) or {}).get("display_id"), text)
            elif kind == "display_data" and notice_text(content):
                self.relay.note(notice_text(content))
        if kind == "update_display_data":
            display_id = content.get("transient", {}).get("display_id")
            for out in self.displays.get(display_id, []):
                out["data"] = content.get("data", {})
                out["metadata"] = content.get("metadata", {})
            return
        if state is None:
            return  # not ours (e.g. kernel_info)
        if kind == "stream":
            state.append(nbformat.v4.new_output("stream", name=content["name"], text=content["text"]))
        elif kind == "display_data":
            out = state.append(nbformat.v4.new_output(
                "display_data", data=content.get("data", {}), metadata=content.get("metadata", {})))
            display_id = content.get("transient", {}).get("display_id")
            if display_id:
                self.displays.setdefault(display_id, []).append(out)
        elif kind == "execute_result":
            state.append(nbformat.v4.new_output(
                "execute_result", data=content.get("data", {}), metadata=content.get("metadata", {}),
                execution_count=content.get("execution_count")))
        elif kind == "error":
            state.append(nbformat.v4.new_output(
                "error", ename=content.get("ename", ""), evalue=content.get("evalue", ""),
                traceback=content.get("traceback", [])))
        elif kind == "clear_output":
            if content.get("wait"):
                state.clear_pending = True
            else:
                state.outputs.clear()

    def pump(self, timeout):
        """Read at most one iopub and one shell message; True when anything arrived."""
        got = False
        try:
            self.handle_iopub(self.kc.get_iopub_msg(timeout=timeout))
            got = True
        except queue.Empty:
            pass
        try:
            msg = self.kc.get_shell_msg(timeout=0.001 if got else timeout)
            if msg["msg_type"] == "execute_reply":
                self.replies[msg["parent_header"].get("msg_id")] = msg["content"]
            got = True
        except queue.Empty:
            pass
        return got

    def wait_request(self, msg_id, timeout, is_alive):
        deadline = time.time() + timeout
        while not (msg_id in self.idle and msg_id in self.replies):
            if time.time() > deadline:
                raise TimeoutError(f"no answer from the kernel within {timeout:.0f} s")
            if not self.pump(0.05) and not is_alive():
                raise RuntimeError("the kernel died")
            if self.relay is not None:
                self.relay.heartbeat()
        return self.replies[msg_id]

    def drain(self):
        quiet_until = time.time() + self.settle
        while time.time() < quiet_until:
            if self.pump(0.02):
                quiet_until = time.time() + self.settle

    # -- execution ------------------------------------------------------------------------------
    def run_cell(self, cell, is_alive, index=None):
        state = CellState(cell, index)
        started = now_iso()
        msg_id = self.kc.execute(cell.source, store_history=True, allow_stdin=False, stop_on_error=True)
        self.owner[msg_id] = state
        reply = self.wait_request(msg_id, self.cell_timeout, is_alive)
        sentinel = self.kc.execute("", silent=True, store_history=False, allow_stdin=False)
        self.owner[sentinel] = state
        self.wait_request(sentinel, 60, is_alive)
        self.drain()
        cell.outputs = state.outputs
        cell.execution_count = reply.get("execution_count")
        cell.metadata["execution"] = {"shell.execute_reply.started": started, "shell.execute_reply": now_iso()}
        return reply


def error_text(reply):
    text = f"{reply.get('ename', 'Error')}: {reply.get('evalue', '')}"
    return ANSI.sub("", text).strip()


def run_notebook(path, out_dir, kernel_name, cell_timeout, settle, messages=False, relay=None):
    name = os.path.splitext(os.path.basename(path))[0]
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    log_path = os.path.join(out_dir, f"{name}.kernel.log")
    result = {"notebook": name, "path": path, "ok": True, "cells": 0, "failed_cell": None, "error": None}
    t0 = time.time()
    messages_path = os.path.join(out_dir, f"{name}.messages.jsonl") if messages else os.devnull
    with open(log_path, "w") as log, open(messages_path, "w") as messages_file:
        km = KernelManager(kernel_name=kernel_name)
        km.start_kernel(cwd=os.path.dirname(os.path.abspath(path)), stdout=log, stderr=log)
        kc = km.client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=120)
            relay = relay or Relay(name)
            run = NotebookRun(kc, cell_timeout, settle, messages_file if messages else None, relay)
            code_cells = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.source.strip()]
            for n, (index, cell) in enumerate(code_cells, 1):
                tc = time.time()
                relay.start_cell(f"cell {index + 1}/{len(nb.cells)}")
                try:
                    reply = run.run_cell(cell, km.is_alive, index + 1)
                except (TimeoutError, RuntimeError) as exc:
                    reply = {"status": "error", "ename": type(exc).__name__, "evalue": str(exc)}
                result["cells"] = n
                relay.end_cell(reply.get("status"), time.time() - tc)
                if reply.get("status") != "ok":
                    result.update(ok=False, failed_cell=index + 1, error=error_text(reply))
                    break
            run.drain()
        except Exception as exc:  # kernel never started, protocol failure...
            result.update(ok=False, error=f"{type(exc).__name__}: {exc}")
        finally:
            if relay is not None:
                relay.close()
            try:
                kc.stop_channels()
                km.shutdown_kernel(now=True)
            except Exception:
                pass
    result["seconds"] = round(time.time() - t0, 2)
    nb.metadata.setdefault("sharelock", {})["run"] = {k: result[k] for k in ("ok", "seconds", "failed_cell", "error")}
    ipynb_path = os.path.join(out_dir, f"{name}.ipynb")
    nbformat.write(nb, ipynb_path + ".tmp")
    os.replace(ipynb_path + ".tmp", ipynb_path)
    result["ipynb"] = ipynb_path
    result["html"] = write_html(nb, os.path.join(out_dir, f"{name}.html"))
    return result


def write_html(nb, html_path):
    try:
        from nbconvert import HTMLExporter
        body, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
    except Exception as exc:  # nbconvert missing or broken: the executed notebook is still there
        print(f"HTML export failed for {html_path}: {exc}", file=sys.stderr)
        return None
    with open(html_path + ".tmp", "w", encoding="utf-8") as fh:
        fh.write(body)
    os.replace(html_path + ".tmp", html_path)
    return html_path


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="+")
    parser.add_argument("--out-dir", required=True)
    parser.add_argument("--kernel", default="deno")
    parser.add_argument("--timeout", type=float, default=7200, help="seconds one cell may run")
    parser.add_argument("--settle", type=float, default=0.15, help="quiet seconds that end a cell")
    parser.add_argument("--messages", action="store_true", help="also write <name>.messages.jsonl")
    args = parser.parse_args()
    # SIGTERM and SIGHUP (the terminal closing) end the run like Ctrl-C does: through run_notebook's
    # `finally`, which shuts the kernel down
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda signum, _frame: sys.exit(128 + signum))
    os.makedirs(args.out_dir, exist_ok=True)
    all_ok = True
    for path in args.notebooks:
        result = run_notebook(path, args.out_dir, args.kernel, args.timeout, args.settle, args.messages)
        all_ok &= result["ok"]
        print(json.dumps(result), flush=True)
    sys.exit(0 if all_ok else 1)


if __name__ == "__main__":
    main()
