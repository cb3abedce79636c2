#!/usr/bin/env python3
"""Execute pdd's notebooks headlessly with the "Rust (pdd)" kernel and check what they produced.

    python3 notebooks/check.py                      # every notebooks/*.ipynb, smoke.ipynb first
    python3 notebooks/check.py --in-place a.ipynb   # run one, store its outputs in the file
    python3 notebooks/check.py --no-execute         # only check the outputs already stored

A notebook FAILS when a cell

* ends with an error: the kernel's reply has status "error" or the cell has an "error" output
  (compile errors; a panic under `:preserve_vars_on_panic 0`, which kills evcxr's child process),
* printed a panic (PANIC_MARKERS; under evcxr's default `:preserve_vars_on_panic 1` a panic is
  only text on stderr and the reply says "ok"),
* wrote to stderr at all, unless the cell contains the comment `// allow-stderr`: evcxr reports
  an error returned by `?` in a cell only by printing it to stderr (the reply says "ok"), so a
  stray stderr line is the only sign of it (evcxr relays stderr unsynchronised with the end of the
  cell, so after each cell the checker listens on until the kernel has been quiet for a moment), or
* is a figure cell -- its first line is the comment `// figure` (optionally followed by a caption,
  `// figure: Hovmöller diagram`) -- and displayed no SVG (an `image/svg+xml` output, or
  `text/html` that contains an `<svg` element).

Execution stops at the first failing cell of a notebook (later cells would only fail in turn) and
goes on with the next notebook. The executed copies go to `--output-dir` (default `out/notebooks`);
with `--in-place` a notebook that passed is also written back over its source (atomically), so its
outputs can be committed. A notebook that failed is never written in place.

All notebooks of one run use one evcxr build directory (the kernel launcher's slot
`PDD_EVCXR_SLOT`, default 0), so only the first notebook compiles pdd; the later ones start in
seconds. Exit status: 0 when every notebook passed, 1 when one failed, 2 for bad usage or a
missing kernel.
"""

from __future__ import annotations

import argparse
import atexit
import os
import queue
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

NOTEBOOK_DIR = Path(__file__).resolve().parent
REPO = NOTEBOOK_DIR.parent
KERNEL = "rust-pdd"
FIRST = "smoke.ipynb"  # runs first when no notebooks are named: it warms the build cache

# After a cell's idle status, how long the output channel must stay quiet before the cell counts as
# finished, and the most time spent waiting for late output (see drain_late_output).
LATE_OUTPUT_QUIET_S = 0.5
LATE_OUTPUT_MAX_S = 10.0

FIGURE_RE = re.compile(r"^\s*//\s*figure\b", re.IGNORECASE)
ALLOW_STDERR_RE = re.compile(r"//\s*allow-stderr\b")
# Text that means a cell failed even when the kernel reported success. evcxr reports a panic as
# "thread '<unnamed>' (PID) panicked at src/lib.rs:..", and the death of its child process (an
# abort, a stack overflow, a segfault in native code) as "Subprocess terminated with status ...".
PANIC_MARKERS = (
    re.compile(r"^thread '.*' (\(\d+\) )?panicked", re.MULTILINE),
    re.compile(r"\bpanicked at\b"),
    re.compile(r"(Subprocess|Child process) terminated"),
    re.compile(r"Segmentation fault|Aborted \(core dumped\)|has overflowed its stack"),
)


@dataclass
class Problem:
    """One reason a notebook failed."""

    cell: int | None  # index in nb.cells, None for problems of the whole notebook
    message: str

    def __str__(self) -> str:
        where = "notebook" if self.cell is None else f"cell {self.cell}"
        return f"{where}: {self.message}"


@dataclass
class Result:
    """What happened to one notebook."""

    path: Path
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0
    cell_seconds: dict[int, float] = field(default_factory=dict)
    written: list[Path] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def is_figure_cell(cell) -> bool:
    """A code cell whose first non-blank line is `// figure` (optionally `// figure: caption`)."""
    if cell.get("cell_type") != "code":
        return False
    for line in cell.get("source", "").splitlines():
        if line.strip():
            return bool(FIGURE_RE.match(line))
    return False


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def has_svg(cell) -> bool:
    """Whether a cell displayed an SVG image (inline in HTML, as evcxr shows plotters output)."""
    for out in cell.get("outputs", []):
        if out.get("output_type") not in ("display_data", "execute_result"):
            continue
        data = out.get("data", {})
        if "image/svg+xml" in data:
            return True
        if "<svg" in _text(data.get("text/html", "")).lower():
            return True
    return False


def _first_lines(text: str, n: int = 6) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    more = f"\n      ... ({len(lines) - n} more lines)" if len(lines) > n else ""
    return "\n      ".join(lines[:n]) + more


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def cell_problems(cell, index: int, reply: dict | None = None) -> list[Problem]:
    """Problems of one executed code cell; `reply` is the kernel's execute_reply content."""
    source = _text(cell.get("source"))
    if cell.get("cell_type") != "code" or not source.strip():
        return []
    problems = []
    outputs = cell.get("outputs", [])
    error_outputs = [o for o in outputs if o.get("output_type") == "error"]
    for out in error_outputs:
        trace = _ANSI.sub("", "\n".join(out.get("traceback", [])))
        detail = _first_lines(trace) or f"{out.get('ename', '')}: {out.get('evalue', '')}"
        problems.append(Problem(index, f"error output:\n      {detail}"))
    if reply is not None and reply.get("status") == "error" and not error_outputs:
        problems.append(
            Problem(index, f"the kernel reported an error: {reply.get('ename')}: {reply.get('evalue')}")
        )
    stderr = "".join(_text(o.get("text")) for o in outputs
                     if o.get("output_type") == "stream" and o.get("name") == "stderr")
    other = "".join(_text(o.get("text")) if o.get("output_type") == "stream"
                    else _text(o.get("data", {}).get("text/plain", ""))
                    for o in outputs if not (o.get("output_type") == "stream" and o.get("name") == "stderr"))
    panic = next((m for m in PANIC_MARKERS for text in (stderr, other) if m.search(text)), None)
    if panic is not None:
        text = stderr if panic.search(stderr) else other
        start = text.rfind("\n", 0, panic.search(text).start()) + 1
        problems.append(Problem(index, f"panicked:\n      {_first_lines(text[start:], 3)}"))
    elif stderr.strip() and not ALLOW_STDERR_RE.search(source):
        problems.append(Problem(
            index,
            "wrote to stderr (an error returned by `?`, or eprintln!; add the comment "
            f"`// allow-stderr` to the cell if that is intended):\n      {_first_lines(stderr)}",
        ))
    if is_figure_cell(cell) and not has_svg(cell):
        problems.append(Problem(index, "figure cell (first line `// figure`) displayed no SVG"))
    return problems


def notebook_problems(nb, kernel: str = KERNEL) -> list[Problem]:
    """Problems in an executed notebook: wrong kernel, unexecuted code cells, failing cells."""
    problems = []
    name = nb.get("metadata", {}).get("kernelspec", {}).get("name")
    if name != kernel:
        problems.append(Problem(None, f"kernelspec is {name!r}, expected {kernel!r}"))
    for i, cell in enumerate(nb.cells):
        if cell.get("cell_type") != "code" or not _text(cell.get("source")).strip():
            continue
        if cell.get("execution_count") is None:
            problems.append(Problem(i, "was not executed"))
        problems.extend(cell_problems(cell, i))
    return problems


class CellFailed(Exception):
    """Raised inside the execution loop to stop a notebook at its first failing cell."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(map(str, problems)))
        self.problems = problems


def _make_client(nb, args, result: Result, log):
    from nbclient import NotebookClient
    from nbclient.util import ensure_async

    class CheckingClient(NotebookClient):
        """Checks each cell as soon as it has run, and stops at the first failing one."""

        async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
            if cell.cell_type != "code" or not cell.source.strip():
                return await super().async_execute_cell(cell, cell_index, execution_count, store_history)
            replies = []

            async def on_executed(cell, cell_index, execute_reply):
                replies.append(execute_reply)
                await self.drain_late_output(execute_reply, cell, cell_index)

            self.on_cell_executed = on_executed
            start = time.monotonic()
            cell = await super().async_execute_cell(cell, cell_index, execution_count, store_history)
            seconds = time.monotonic() - start
            result.cell_seconds[cell_index] = seconds
            reply = replies[-1]["content"] if replies else None
            problems = cell_problems(cell, cell_index, reply)
            tag = " figure" if is_figure_cell(cell) else ""
            log(f"  cell {cell_index:3d}{tag:7s} {seconds:7.1f} s  {'FAILED' if problems else 'ok'}")
            if problems:
                raise CellFailed(problems)
            return cell

        async def drain_late_output(self, execute_reply, cell, cell_index):
            """Collects the cell's output that arrives after the kernel said it was idle.

            evcxr reads its child process's stderr on a thread of its own, unsynchronised with the
            end of the execution, and sends each line with the header of the latest execute
            request. A `?` error (printed only to stderr) can therefore reach us after the idle
            status: nbclient would drop it (last cell) or it would land on the next cell. So after
            each cell we keep reading this cell's messages until the channel has been quiet for
            LATE_OUTPUT_QUIET_S seconds (at most LATE_OUTPUT_MAX_S in all).
            """
            parent = (execute_reply or {}).get("parent_header", {}).get("msg_id")
            if parent is None:
                return
            deadline = time.monotonic() + LATE_OUTPUT_MAX_S
            while time.monotonic() < deadline:
                try:
                    msg = await ensure_async(self.kc.iopub_channel.get_msg(timeout=LATE_OUTPUT_QUIET_S))
                except queue.Empty:
                    return
                if msg["parent_header"].get("msg_id") == parent and msg["msg_type"] != "status":
                    self.process_message(msg, cell, cell_index)

    return CheckingClient(
        nb,
        kernel_name=args.kernel,
        timeout=args.timeout,
        startup_timeout=args.startup_timeout,
        allow_errors=True,  # errors are detected (uniformly) by cell_problems
        record_timing=False,  # no timestamps in committed notebooks
        coalesce_streams=True,  # one stdout block per cell, not one per line
        resources={"metadata": {"path": str(args.cwd_of)}},
    )


def write_atomic(nb, path: Path) -> None:
    """Writes `nb` to a temporary file next to `path`, then renames it over `path`.

    The file keeps the permissions of the one it replaces (0644 for a new file): `mkstemp`
    creates its file 0600, which would hide a notebook from the other users of a shared checkout.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            nbformat.write(nb, f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def run_notebook(path: Path, args, log=print) -> Result:
    """Executes one notebook (unless --no-execute) and checks it; writes the copies asked for."""
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    result = Result(path)
    nb = nbformat.read(path, as_version=4)
    start = time.monotonic()
    if args.execute:
        kernel = nb.get("metadata", {}).get("kernelspec", {}).get("name")
        if kernel != args.kernel:
            result.problems.append(Problem(None, f"kernelspec is {kernel!r}, expected {args.kernel!r}"))
        args.cwd_of = path.parent
        client = _make_client(nb, args, result, log)
        try:
            client.execute()
        except CellFailed as e:
            result.problems.extend(e.problems)
        except CellTimeoutError as e:
            result.problems.append(Problem(None, f"a cell ran past --timeout {args.timeout} s: {e}"))
        except DeadKernelError as e:
            result.problems.append(Problem(None, f"the kernel died: {e}"))
        except RuntimeError as e:  # e.g. the kernel did not start in time
            result.problems.append(Problem(None, f"could not run the kernel: {e}"))
            # nbclient leaves its exit-time clean-up registered when the start fails; it would
            # only fail again (there is no kernel manager left) with a traceback at exit.
            atexit.unregister(client._cleanup_kernel)
        out = Path(args.output_dir) / path.name
        write_atomic(nb, out)
        result.written.append(out)
        if args.in_place and result.ok:
            write_atomic(nb, path)
            result.written.append(path)
    else:
        result.problems.extend(notebook_problems(nb, args.kernel))
    result.seconds = time.monotonic() - start
    return result


def default_notebooks() -> list[Path]:
    paths = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
    return sorted(paths, key=lambda p: p.name != FIRST)


def kernel_installed(name: str) -> bool:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(name)
        return True
    except NoSuchKernel:
        return False


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/*.ipynb, smoke first")
    p.add_argument("--in-place", action="store_true", help="write passing notebooks back over their sources")
    p.add_argument("--output-dir", default=str(REPO / "out" / "notebooks"), help="where executed copies go")
    p.add_argument("--timeout", type=int, default=1800, help="seconds one cell may run (default 1800)")
    p.add_argument("--startup-timeout", type=int, default=300, help="seconds for the kernel to start")
    p.add_argument("--kernel", default=KERNEL, help=f"kernel name (default {KERNEL})")
    p.add_argument("--slot", default=os.environ.get("PDD_EVCXR_SLOT", "0"),
                   help="evcxr build slot shared by the notebooks of this run (default 0)")
    p.add_argument("--no-execute", dest="execute", action="store_false",
                   help="do not run anything; check the outputs stored in the notebooks")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    paths = [p.resolve() for p in args.notebooks] or default_notebooks()
    missing = [p for p in paths if not p.is_file()]
    if missing or not paths:
        print(f"check.py: no such notebook: {', '.join(map(str, missing)) or 'none found'}", file=sys.stderr)
        return 2
    if args.execute:
        if not kernel_installed(args.kernel):
            print(f"check.py: the Jupyter kernel {args.kernel!r} is not installed; run kernels/install.sh",
                  file=sys.stderr)
            return 2
        os.environ["PDD_EVCXR_SLOT"] = str(args.slot)
    results = []
    for path in paths:
        print(f"{'running' if args.execute else 'checking'} {path.relative_to(REPO) if path.is_relative_to(REPO) else path}",
              flush=True)
        result = run_notebook(path, args, log=lambda s: print(s, flush=True))
        results.append(result)
        for problem in result.problems:
            print(f"  FAIL {problem}", flush=True)
    print("\nnotebook                          result   seconds")
    for r in results:
        print(f"{r.path.name:33s} {'ok' if r.ok else 'FAILED':8s} {r.seconds:7.1f}")
    for r in results:
        for w in r.written:
            print(f"wrote {w}")
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
