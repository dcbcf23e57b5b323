"""The exit statuses have one source of truth (drsim/cli/common.py EXIT_STATUSES): `drsim run
--help` prints it, and the README's table and docs/monte-carlo.md's list exactly its codes."""

from __future__ import annotations

import re

from faults import ROOT
from typer.testing import CliRunner

from drsim.cli import app
from drsim.cli.common import EXIT_STATUSES
from drsim.errors import OutputError, TrialsFailed, WriteError


def table_codes(text: str) -> set[int]:
    return {int(m) for m in re.findall(r"^\| (\d+)(?:, \d+)? \|", text, re.MULTILINE)} | {
        int(m) for m in re.findall(r"^\| \d+, (\d+) \|", text, re.MULTILINE)}


def test_readme_and_monte_carlo_doc_list_every_exit_status():
    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("**Exit status.**"):readme.index("## Deciding")]
    assert table_codes(table) == set(EXIT_STATUSES)
    doc = (ROOT / "docs" / "monte-carlo.md").read_text()
    faults = doc[doc.index("### Faults, exit status"):doc.index("**One run per folder.**")]
    assert table_codes(faults) == set(EXIT_STATUSES) - {0, 1}  # the faults; 0/1 are no fault


def test_run_help_prints_the_table():
    out = CliRunner().invoke(app, ["run", "--help"]).output
    flat = "".join(out.split())  # help is wrapped anywhere, even after a hyphen
    for code, meaning in EXIT_STATUSES.items():
        assert "".join(f"{code} {meaning}".split()) in flat


def test_write_errors_say_the_operating_systems_words():
    full = WriteError("x", OSError(28, "ignored"))
    assert str(full) == "x: cannot write: No space left on device"
    pyarrow_style = OSError("Error writing bytes to file. Detail: [errno 27] File too large")
    assert str(WriteError("x", pyarrow_style)) == "x: cannot write: File too large"
    assert str(WriteError("x", OSError("odd"))) == "x: cannot write: odd"
    assert isinstance(WriteError("x", "y"), OutputError) and not isinstance(
        TrialsFailed("t"), OutputError)
