"""The docs cannot drift: every ```sh block of README.md and docs/*.md runs, in order, in a
fresh temporary copy of the repository, and exits as documented (0, or the code in a trailing
`# exit status N` comment); every sample output (a ```text block after `<!-- sample: CMD -->`)
is what CMD prints now. The runner is docs/generate_samples.py; `python
docs/generate_samples.py` regenerates the samples after a change, `--check` is this test.

The runner recognises and skips two kinds of command (SKIPPED in generate_samples.py):
`pip install ...` (installing is CI's own first step, and the docs run against this
checkout's drsim) and `python -m pytest` (the suite running itself would recurse). Everything
else runs.
"""

from __future__ import annotations

import functools
import importlib.util
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import ROOT

_spec = importlib.util.spec_from_file_location("generate_samples",
                                               ROOT / "docs" / "generate_samples.py")
assert _spec is not None and _spec.loader is not None
gs = importlib.util.module_from_spec(_spec)
sys.modules["generate_samples"] = gs  # dataclasses look their module up by name
_spec.loader.exec_module(gs)

DOCS = [gs.name_of(p) for p in gs.doc_files()]


@functools.cache
def ran(doc: str):
    """Each doc runs once; both tests below read the same run."""
    return gs.run_doc(ROOT / doc)


@pytest.mark.parametrize("doc", DOCS)
def test_doc_commands_exit_as_documented(doc):
    run = ran(doc)
    assert run.problems == []
    failures = run.failures
    assert not failures, "\n\n".join(f.describe() for f in failures)


@pytest.mark.parametrize("doc", DOCS)
def test_doc_samples_are_what_the_code_prints(doc):
    run = ran(doc)
    assert run.new_text == run.old_text, (
        "sample outputs differ from what the code prints now; run `python "
        f"docs/generate_samples.py {doc}` and review the diff:\n{run.diff()}")


def test_every_doc_is_covered():
    """README and every docs/*.md, and together they run commands and check samples."""
    assert DOCS[0] == "README.md"
    assert set(DOCS[1:]) == {f"docs/{p.name}" for p in (ROOT / "docs").glob("*.md")}
    assert len(DOCS) >= 6


# ---- the runner itself, on small docs of its own ----------------------------------------


def write_doc(tmp_path: Path, text: str) -> Path:
    doc = tmp_path / "doc.md"
    doc.write_text(textwrap.dedent(text), encoding="utf-8")
    return doc


def test_commands_are_split_joined_and_classified():
    text = textwrap.dedent("""\
        intro

        ```sh
        # a comment line is not a command
        python -m pip install -e '.[test]'
        python -m pytest -q
        python -m pip install -e . && drsim run
        pip install -e '.[test]' && python -m pytest
        drsim run scenarios/a.yaml \\
            --trials 5
        drsim validate bad.yaml      # exit status 2
        cat > f.yaml <<'EOF'
        # inside a here-document
        x: 1
        EOF
        ```
        """)
    blocks, problems = gs.parse(text)
    assert problems == [] and [b.lang for b in blocks] == ["sh"] and blocks[0].line == 3
    cmds = gs.commands(blocks[0])
    # (doc line, expected exit, skipped): the fence is line 3, so the first command is line 5
    assert [(c.line, c.expected, c.skipped) for c in cmds] == [
        (5, 0, True), (6, 0, True), (7, 0, False), (8, 0, True), (9, 0, False), (11, 2, False),
        (12, 0, False)]
    assert cmds[2].runs == "drsim run"  # the install part of the chain is not run
    assert cmds[4].text == cmds[4].runs == "drsim run scenarios/a.yaml \\\n    --trials 5"
    assert cmds[6].text.splitlines() == ["cat > f.yaml <<'EOF'", "# inside a here-document",
                                         "x: 1", "EOF"]


def test_untagged_blocks_and_misplaced_markers_are_problems():
    text = "a\n\n```\ndrsim run\n```\n\n<!-- sample: drsim run -->\n```sh\ndrsim run\n```\n"
    _, problems = gs.parse(text, "x.md")
    assert problems == [
        "x.md:3: fenced block without a language; tag it sh (commands that run), text "
        "(output) or yaml, json, ...",
        "x.md:8: a sample marker must precede a ```text block",
    ]


def test_blocks_run_in_order_in_a_fresh_copy_and_failures_name_file_line_command(tmp_path):
    doc = write_doc(tmp_path, """\
        # A doc

        ```sh
        test -f scenarios/nyc-chicago-drill.yaml
        test ! -e made.txt
        echo one > made.txt
        ```

        ```sh
        grep -q one made.txt
        sh -c 'exit 3'        # exit status 3
        sh -c 'exit 4'        # exit status 3
        false
        ```
        """)
    run = gs.run_doc(doc)
    assert [(o.line, o.code, o.expected) for o in run.outcomes] == [
        (4, 0, 0), (5, 0, 0), (6, 0, 0), (10, 0, 0), (11, 3, 3), (12, 4, 3), (13, 1, 0)]
    assert [o.line for o in run.failures] == [12, 13]
    assert run.failures[0].describe().startswith(
        f"{doc}:12: `sh -c 'exit 4'        # exit status 3` exited 4, expected 3")
    assert not (ROOT / "made.txt").exists()  # it ran in the copy
    again = gs.run_doc(doc)  # a fresh copy each time: made.txt is gone again
    assert [o.code for o in again.outcomes[:2]] == [0, 0]


def test_samples_are_regenerated_and_check_reports_the_diff(tmp_path, capsys):
    doc = write_doc(tmp_path, """\
        Text.

        <!-- sample: printf 'a  \\nb\\n\\n' -->
        ```text
        stale
        ```

        <!-- sample exit=2: echo wrong; exit 2 -->
        ```text
        $ echo wrong; exit 2
        wrong
        ```
        """)
    before = doc.read_text()
    assert gs.main(["--check", "--quiet", str(doc)]) == 1
    out = capsys.readouterr().out
    assert "-stale\n+$ printf 'a  \\nb\\n\\n'\n+a\n+b\n" in out  # trailing spaces and blanks go
    assert doc.read_text() == before  # --check changes nothing
    assert gs.main(["--quiet", str(doc)]) == 0
    assert doc.read_text() == before.replace("stale", "$ printf 'a  \\nb\\n\\n'\na\nb")
    assert gs.main(["--check", "--quiet", str(doc)]) == 0


def test_a_sample_whose_command_fails_is_reported(tmp_path, capsys):
    doc = write_doc(tmp_path, "<!-- sample: echo oops; exit 5 -->\n```text\n```\n")
    assert gs.main(["--check", "--quiet", str(doc)]) == 1
    assert f"{doc}:2: `echo oops; exit 5` exited 5, expected 0" in capsys.readouterr().out
