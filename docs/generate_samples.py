"""Run the docs: every shell block of README.md and docs/*.md, in order, and every sample output.

    python docs/generate_samples.py            # regenerate every sample output in place
    python docs/generate_samples.py --check    # exit 1 and print a diff when a sample differs
    python docs/generate_samples.py --check docs/decisions.md   # only some files

How a doc is written so that it can be run (tests/test_docs.py runs it the same way):

- a ```sh block holds commands a reader types, one per line (a line ending in a backslash
  continues, a here-document runs to its terminator). Each command must exit 0, or the code
  written in a trailing comment: `drsim validate mine.yaml   # exit status 2`.
  `pip install ...` and `python -m pytest ...` are shown but not run (the suite is what runs
  this, and it runs against the checkout, not a fresh install); in `pip install . && drsim
  run` only `drsim run` runs.
- a sample output is a ```text block right after a comment naming the command that prints it:
      <!-- sample: drsim run --no-timeline -->
      <!-- sample exit=2: drsim validate mine.yaml -->
  This script runs the command and writes the block as `$ command` followed by what it
  printed (stdout and stderr, trailing spaces removed). Never edit those blocks by hand.
- every other fenced block needs a language tag (yaml, text, json, ...); an untagged block is
  an error, so a command block cannot slip through unrun.

Each file runs on its own, top to bottom, in a fresh temporary copy of the repository, with
the checkout's drsim first on PYTHONPATH and `drsim`/`python` on PATH meaning this Python's
`python -m drsim`. Output is made deterministic: COLUMNS=120, no colour, a dumb terminal, UTC;
sample commands must use fixed seeds and print no wall-clock times.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNNABLE = {"sh", "bash", "shell"}
SKIPPED = re.compile(r"^\s*(python\s+-m\s+)?pip\s+install\b|^\s*python\s+-m\s+pytest\b")
EXPECTED = re.compile(r"#\s*exit(?:\s+status)?\s+(\d+)\s*$")
SAMPLE = re.compile(r"^<!--\s*sample(?:\s+exit=(\d+))?:\s*(.+?)\s*-->\s*$")
FENCE = re.compile(r"^```(\S*)\s*$")
HEREDOC = re.compile(r"<<-?\s*(['\"]?)(\w+)\1")
TIMEOUT_S = 600
ENV = {"COLUMNS": "120", "LINES": "60", "NO_COLOR": "1", "TERM": "dumb", "TZ": "UTC",
       "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0", "PYTHONWARNINGS": "ignore"}


def doc_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@dataclass
class Block:
    lang: str
    line: int  # 1-based line of the opening fence
    body: list[str]
    sample: tuple[str, int] | None = None  # (command, expected exit) from the marker before it


@dataclass
class Command:
    text: str  # as the doc shows it
    line: int  # 1-based line in the doc
    expected: int
    runs: str = ""  # what runs: the text less any `pip install`/`pytest` parts of an && chain

    @property
    def skipped(self) -> bool:
        return not self.runs


def runnable_part(text: str) -> str:
    """`pip install -e . && drsim run` runs `drsim run`; a lone install or pytest, nothing."""
    if "\n" in text:
        return "" if SKIPPED.match(text) else text
    return " && ".join(p for p in re.split(r"\s+&&\s+", text) if not SKIPPED.match(p))


@dataclass
class Outcome:
    doc: str
    line: int
    command: str
    expected: int
    code: int | None  # None: skipped (not run)
    output: str
    seconds: float  # wall-clock
    cpu_seconds: float = 0.0  # user + system of the command and its children: load-independent

    @property
    def failed(self) -> bool:
        return self.code is not None and self.code != self.expected

    def describe(self) -> str:
        return (f"{self.doc}:{self.line}: `{self.command}` exited {self.code}, expected "
                f"{self.expected}; it printed:\n{self.output[-3000:]}")


@dataclass
class DocRun:
    doc: str
    outcomes: list[Outcome] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # untagged blocks, markers without block
    old_text: str = ""
    new_text: str = ""

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.failed]

    def diff(self) -> str:
        return "".join(difflib.unified_diff(
            self.old_text.splitlines(keepends=True), self.new_text.splitlines(keepends=True),
            f"{self.doc} (as written)", f"{self.doc} (as the code prints it now)"))


def parse(text: str, doc: str = "doc") -> tuple[list[Block], list[str]]:
    """Fenced blocks in order, each with the sample marker just before it; and problems."""
    lines = text.split("\n")
    blocks: list[Block] = []
    problems: list[str] = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        start = i
        end = start + 1
        while end < len(lines) and lines[end].rstrip() != "```":
            end += 1
        if end == len(lines):
            problems.append(f"{doc}:{start + 1}: fenced block never closed")
            break
        block = Block(m.group(1), start + 1, lines[start + 1:end])
        prev = start - 1
        while prev >= 0 and not lines[prev].strip():
            prev -= 1
        marker = SAMPLE.match(lines[prev].strip()) if prev >= 0 else None
        if marker:
            block.sample = (marker.group(2), int(marker.group(1) or 0))
            if block.lang != "text":
                problems.append(f"{doc}:{start + 1}: a sample marker must precede a ```text "
                                "block")
        if not block.lang:
            problems.append(f"{doc}:{start + 1}: fenced block without a language; tag it sh "
                            "(commands that run), text (output) or yaml, json, ...")
        blocks.append(block)
        i = end + 1
    return blocks, problems


def commands(block: Block) -> list[Command]:
    """The commands of a sh block: continuation lines joined, here-documents kept whole."""
    out: list[Command] = []
    body = block.body
    i = 0
    while i < len(body):
        first = i
        line = body[i]
        if not line.strip() or line.lstrip().startswith("#"):
            i += 1
            continue
        parts = [line]
        while parts[-1].endswith("\\") and i + 1 < len(body):
            i += 1
            parts.append(body[i])
        heredoc = HEREDOC.search(" ".join(parts))
        if heredoc:
            while i + 1 < len(body) and body[i].strip() != heredoc.group(2):
                i += 1
                parts.append(body[i])
        text = "\n".join(parts)
        m = EXPECTED.search(parts[0] if heredoc else parts[-1])
        out.append(Command(text, block.line + 1 + first, int(m.group(1)) if m else 0,
                           runnable_part(text)))
        i += 1
    return out


def copy_repository(dest: Path) -> None:
    """A clean copy: the files git knows (tracked or new, not ignored), or, outside a git
    checkout, everything but caches."""
    try:
        listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"],
                                cwd=ROOT, capture_output=True, check=True).stdout
        names = [n for n in listed.decode().split("\0") if n]
    except (OSError, subprocess.CalledProcessError):
        names = []
    if not names:
        shutil.copytree(ROOT, dest, dirs_exist_ok=True, ignore=shutil.ignore_patterns(
            ".git", "__pycache__", ".*_cache", ".hypothesis", "*.egg-info", ".benchmarks"))
        return
    for name in names:
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)


def environment(work: Path, bin_dir: Path) -> dict[str, str]:
    """drsim and python resolve to this interpreter and the checkout's code (run in the copy)."""
    bin_dir.mkdir()
    python = f'"{sys.executable}"'
    # -P: not the working folder (the copy) first on sys.path, but PYTHONPATH (the checkout)
    for name, run in (("drsim", f"{python} -P -m drsim"), ("python", python)):
        shim = bin_dir / name
        shim.write_text(f'#!/bin/sh\nexec {run} "$@"\n')
        shim.chmod(0o755)
    env = {k: v for k, v in os.environ.items()
           if k not in {"FORCE_COLOR", "CLICOLOR_FORCE", "PYTEST_CURRENT_TEST"}}
    env.update(ENV)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"]
                                     if env.get("PYTHONPATH") else "")
    return env


def _children_cpu_s() -> float:
    use = resource.getrusage(resource.RUSAGE_CHILDREN)
    return use.ru_utime + use.ru_stime


def execute(command: str, work: Path, env: dict[str, str]) -> tuple[int, str, float, float]:
    began, cpu = time.monotonic(), _children_cpu_s()
    try:
        done = subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=work, env=env,
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=TIMEOUT_S)
        code, output = done.returncode, done.stdout.decode("utf-8", "replace")
    except subprocess.TimeoutExpired as exc:
        code = -1
        output = (exc.output or b"").decode("utf-8", "replace") + f"\n(killed after {TIMEOUT_S} s)"
    return code, output, time.monotonic() - began, _children_cpu_s() - cpu


def tidy(output: str, work: Path) -> list[str]:
    """What a sample block shows: the temporary folder's name removed, no trailing spaces."""
    text = output.replace(str(work.resolve()) + os.sep, "").replace(str(work.resolve()), ".")
    text = text.replace(str(work) + os.sep, "").replace(str(work), ".")
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def name_of(path: Path) -> str:
    path = path.resolve()
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)


def run_doc(path: Path, log: bool = False) -> DocRun:
    """Run one doc's shell blocks and sample commands in order, in a fresh copy; collect exit
    codes and the doc as it would be with every sample regenerated."""
    doc = name_of(path)
    text = path.read_text(encoding="utf-8")
    result = DocRun(doc, old_text=text)
    blocks, result.problems = parse(text, doc)
    lines = text.split("\n")
    replaced: list[tuple[int, int, list[str]]] = []
    with tempfile.TemporaryDirectory(prefix="drsim-docs-") as tmp:
        work = Path(tmp) / "repo"
        work.mkdir()
        copy_repository(work)
        env = environment(work, Path(tmp) / "bin")
        logged = 0
        for block in blocks:
            if block.sample:
                command, expected = block.sample
                code, output, seconds, cpu = execute(command, work, env)
                result.outcomes.append(Outcome(doc, block.line, command, expected, code,
                                               output, seconds, cpu))
                replaced.append((block.line, block.line + len(block.body),
                                 [f"$ {command}", *tidy(output, work)]))
            elif block.lang in RUNNABLE:
                for cmd in commands(block):
                    if cmd.skipped:
                        result.outcomes.append(Outcome(doc, cmd.line, cmd.text, cmd.expected,
                                                       None, "", 0.0))
                        continue
                    code, output, seconds, cpu = execute(cmd.runs, work, env)
                    result.outcomes.append(Outcome(doc, cmd.line, cmd.text, cmd.expected, code,
                                                   output, seconds, cpu))
            while log and logged < len(result.outcomes):
                done = result.outcomes[logged]
                logged += 1
                print(f"  {done.seconds:6.1f} s ({done.cpu_seconds:5.1f} s CPU)  exit {done.code}"
                      f"  {doc}:{done.line}: "
                      f"{done.command.splitlines()[0][:80]}", file=sys.stderr)
    for start, end, new in reversed(replaced):  # body lines are start .. end-1 (0-based)
        lines[start:end] = new
    result.new_text = "\n".join(lines)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 with a diff when a sample differs")
    parser.add_argument("--quiet", action="store_true", help="no per-command timings")
    parser.add_argument("files", nargs="*", type=Path, help="default: README.md and docs/*.md")
    args = parser.parse_args(argv)
    files = [f.resolve() for f in args.files] or doc_files()
    bad = False
    for path in files:
        if not args.quiet:
            print(f"{name_of(path)}:", file=sys.stderr)
        run = run_doc(path, log=not args.quiet)
        for problem in run.problems:
            print(problem)
            bad = True
        for failure in run.failures:
            print(failure.describe())
            bad = True
        if run.new_text != run.old_text:
            if args.check:
                print(run.diff())
                bad = True
            else:
                path.write_text(run.new_text, encoding="utf-8")
                print(f"{run.doc}: samples regenerated", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
