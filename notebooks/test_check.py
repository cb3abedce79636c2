"""Tests of notebooks/check.py.

    python3 -m unittest -v notebooks/test_check.py

`OutputRules` checks the rules on hand-made executed notebooks (no kernel needed). `WithKernel`
runs tiny notebooks through the real "Rust (pdd)" kernel, in a throw-away build cache, to prove
that errors, panics, `?` errors and figure cells without SVG are caught the way evcxr really
reports them. It is skipped when the kernel is not installed, unless PDD_REQUIRE_KERNEL=1
(scripts/test.sh sets it), in which case a missing kernel fails the run.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import unittest
from pathlib import Path
from types import SimpleNamespace

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

sys.path.insert(0, str(Path(__file__).resolve().parent))
import check  # noqa: E402

SVG = "<svg width='10' height='10' xmlns='http://www.w3.org/2000/svg'><rect width='5' height='5'/></svg>"
KERNELSPEC = {"display_name": "Rust (pdd)", "language": "rust", "name": check.KERNEL}


def executed(source: str, *outputs, count: int | None = 1):
    cell = new_code_cell(source, execution_count=count)
    cell.outputs = list(outputs)
    return cell


def notebook(*cells):
    return new_notebook(cells=list(cells), metadata={"kernelspec": dict(KERNELSPEC)})


def html(text: str):
    return new_output("display_data", data={"text/html": text})


def stderr(text: str):
    return new_output("stream", name="stderr", text=text)


class OutputRules(unittest.TestCase):
    def messages(self, nb):
        return [str(p) for p in check.notebook_problems(nb)]

    def test_clean_notebook_passes(self):
        nb = notebook(
            new_markdown_cell("// figure in markdown is no figure cell"),
            executed("let x = 1;"),
            executed("// figure: a box\nprintln!(..)", html(f"<div>{SVG}</div>")),
            executed("// a comment, then\n// figure", new_output("stream", name="stdout", text="no svg")),
        )
        self.assertEqual(self.messages(nb), [])

    def test_error_output_fails(self):
        err = new_output("error", ename="Error", evalue="boom", traceback=["\x1b[31merror[E0425]\x1b[0m: cannot find value `y`"])
        problems = self.messages(notebook(executed("y"), executed("1", count=2), executed("2", err, count=3)))
        self.assertEqual(len(problems), 1, problems)
        self.assertIn("cell 2", problems[0])
        self.assertIn("error[E0425]: cannot find value `y`", problems[0])  # ANSI colours removed

    def test_panic_text_fails(self):
        for text in (
            "\nthread '<unnamed>' (2541) panicked at src/lib.rs:4:1:\nboom\nstack backtrace:\n",
            "Subprocess terminated with status: signal: 6 (SIGABRT)\n",
        ):
            problems = self.messages(notebook(executed("f()", stderr(text))))
            self.assertEqual(len(problems), 1, text)
            self.assertIn("panicked", problems[0])
        problems = self.messages(notebook(executed("f()", stderr("\nthread 'x' panicked at a.rs:1:1:\nboom\n"))))
        self.assertIn("panicked:\n      thread 'x' panicked at a.rs:1:1:\n      boom", problems[0])

    def test_stderr_fails_unless_allowed(self):
        # evcxr shows an error returned by `?` only as its message on stderr.
        problems = self.messages(notebook(executed('let n: i32 = "x".parse()?;', stderr("invalid digit found in string\n"))))
        self.assertEqual(len(problems), 1, problems)
        self.assertIn("wrote to stderr", problems[0])
        self.assertIn("invalid digit found in string", problems[0])
        allowed = notebook(executed('eprintln!("note"); // allow-stderr', stderr("note\n")))
        self.assertEqual(self.messages(allowed), [])
        panicking = notebook(executed("// allow-stderr\nf()", stderr("thread 'main' panicked at x.rs:1:1:\n")))
        self.assertEqual(len(self.messages(panicking)), 1)  # a panic is never allowed

    def test_figure_cell_without_svg_fails(self):
        for outputs in ([], [html("<img src='x.png'>")], [new_output("stream", name="stdout", text=SVG)]):
            problems = self.messages(notebook(executed("\n  // Figure: PSD\nplot()", *outputs)))
            self.assertEqual(len(problems), 1, outputs)
            self.assertIn("displayed no SVG", problems[0])

    def test_svg_mime_type_counts(self):
        nb = notebook(executed("// figure", new_output("display_data", data={"image/svg+xml": SVG})))
        self.assertEqual(self.messages(nb), [])

    def test_unexecuted_cell_and_wrong_kernel_fail(self):
        nb = notebook(executed("let x = 1;", count=None))
        nb.metadata.kernelspec["name"] = "python3"
        problems = self.messages(nb)
        self.assertEqual(len(problems), 2, problems)
        self.assertIn("kernelspec is 'python3'", problems[0])
        self.assertIn("was not executed", problems[1])

    def test_error_reply_without_output_fails(self):
        problems = check.cell_problems(executed("x"), 0, {"status": "error", "ename": "E", "evalue": "v"})
        self.assertEqual(len(problems), 1)
        self.assertIn("kernel reported an error", str(problems[0]))

    def test_figure_marker_must_be_the_first_line(self):
        self.assertTrue(check.is_figure_cell(new_code_cell("\n// figure\nx")))
        self.assertTrue(check.is_figure_cell(new_code_cell("//figure: caption")))
        self.assertFalse(check.is_figure_cell(new_code_cell("let a = 1;\n// figure")))
        self.assertFalse(check.is_figure_cell(new_code_cell("// figures are drawn below")))
        self.assertFalse(check.is_figure_cell(new_markdown_cell("// figure")))


def kernel_available() -> bool:
    try:
        return check.kernel_installed(check.KERNEL)
    except Exception:
        return False


REQUIRE = os.environ.get("PDD_REQUIRE_KERNEL") == "1"


class AtomicWrite(unittest.TestCase):
    def test_written_notebook_keeps_the_mode_of_the_one_it_replaces(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "a.ipynb"
            check.write_atomic(notebook(executed("let x = 1;")), path)
            self.assertEqual(path.stat().st_mode & 0o777, 0o644)  # new file: 0644, not mkstemp's 0600
            path.chmod(0o664)
            check.write_atomic(notebook(executed("let y = 2;")), path)
            self.assertEqual(path.stat().st_mode & 0o777, 0o664)
            self.assertIn("let y = 2;", path.read_text())
            self.assertEqual([p.name for p in Path(tmp).iterdir()], ["a.ipynb"])  # no temporary left


@unittest.skipUnless(kernel_available() or REQUIRE, "the rust-pdd kernel is not installed")
class WithKernel(unittest.TestCase):
    """Tiny notebooks run by the real kernel (no pdd dependency, so each compiles in seconds)."""

    @classmethod
    def setUpClass(cls):
        if not kernel_available():
            raise AssertionError("PDD_REQUIRE_KERNEL=1 but the rust-pdd kernel is not installed")
        cls.tmp = Path(tempfile.mkdtemp(prefix="pdd-check-test-"))
        cls.saved_env = {k: os.environ.get(k) for k in ("PDD_EVCXR_CACHE", "PDD_EVCXR_SLOT")}
        # One throw-away build cache for these tests: they never touch the notebooks' slots.
        os.environ["PDD_EVCXR_CACHE"] = str(cls.tmp / "evcxr")
        os.environ["PDD_EVCXR_SLOT"] = "0"

    @classmethod
    def tearDownClass(cls):
        for k, v in cls.saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def run_cells(self, name: str, *sources: str):
        path = self.tmp / f"{name}.ipynb"
        nbformat.write(notebook(*(new_code_cell(s) for s in sources)), path)
        args = SimpleNamespace(
            execute=True, kernel=check.KERNEL, timeout=600, startup_timeout=300,
            output_dir=str(self.tmp / "out"), in_place=True,
        )
        result = check.run_notebook(path, args, log=lambda s: None)
        return result, nbformat.read(self.tmp / "out" / f"{name}.ipynb", as_version=4)

    def assert_fails_at(self, result, cell: int, *texts: str):
        messages = [str(p) for p in result.problems]
        self.assertFalse(result.ok)
        self.assertEqual({p.cell for p in result.problems}, {cell}, messages)
        for text in texts:
            self.assertTrue(any(text in m for m in messages), f"{text!r} not in {messages}")

    def test_passing_notebook_is_written_in_place(self):
        result, nb = self.run_cells(
            "good",
            "let x = 20 + 1;",
            f'// figure\nprintln!("EVCXR_BEGIN_CONTENT text/html\\n{SVG}\\nEVCXR_END_CONTENT");',
            "x * 2",
        )
        self.assertTrue(result.ok, [str(p) for p in result.problems])
        self.assertTrue(check.has_svg(nb.cells[1]))
        self.assertEqual(nb.cells[2].outputs[0]["data"]["text/plain"], "42")
        stored = nbformat.read(self.tmp / "good.ipynb", as_version=4)  # --in-place wrote it back
        self.assertEqual(check.notebook_problems(stored), [])

    def test_compile_error_fails_and_stops_the_notebook(self):
        result, nb = self.run_cells("compile", "let a = 1;", "let b: i32 = \"text\";", "let c = 3;")
        self.assert_fails_at(result, 1, "mismatched types")
        self.assertIsNone(nb.cells[2].execution_count)  # not run after the failure
        self.assertFalse((self.tmp / "compile.ipynb").read_text().count("mismatched"))  # not in place

    def test_panic_fails_with_preserve_vars_off(self):
        result, _ = self.run_cells("panic0", ":preserve_vars_on_panic 0", 'let v: Vec<i32> = vec![];\nv[3]')
        # The panic cannot unwind out of evcxr's generated code: the child process aborts.
        self.assert_fails_at(result, 1, "panicked:", "index out of bounds", "Subprocess terminated")

    def test_panic_fails_with_evcxr_defaults(self):
        result, _ = self.run_cells("panic1", 'let v: Vec<i32> = vec![];\nlet y = v[3];\ny')
        self.assert_fails_at(result, 0, "panicked:", "index out of bounds")

    def test_question_mark_error_fails(self):
        result, _ = self.run_cells("question", 'let n: i32 = "x1".parse()?;\nn')
        self.assert_fails_at(result, 0, "wrote to stderr", "invalid digit found in string")

    def test_stderr_arriving_after_the_cell_ended_fails_that_cell(self):
        # A thread of the cell writes to stderr 200 ms after the cell returned, as evcxr's
        # unsynchronised stderr relay can deliver a `?` error after the idle status.
        late = 'std::thread::spawn(|| {\n    std::thread::sleep(std::time::Duration::from_millis(200));\n' \
               '    eprintln!("late error line");\n});'
        result, _ = self.run_cells("late", late)
        self.assert_fails_at(result, 0, "wrote to stderr", "late error line")

    def test_figure_cell_without_svg_fails(self):
        result, _ = self.run_cells("nosvg", '// figure: forgot to display it\nlet svg = String::from("<svg/>");')
        self.assert_fails_at(result, 0, "displayed no SVG")


if __name__ == "__main__":
    unittest.main()
