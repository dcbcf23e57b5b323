"""What users of typer, click and rich expect of a command line: --version/-V, -h on every
command, short forms of the common options (the same everywhere, no clashes), working shell
completion, help without <bool> metavars, tables that follow COLUMNS, and Monte Carlo
progress reported trial by trial."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from drsim.cli import COMMANDS, SHORT_OPTIONS, all_commands, app
from drsim.cli.init import STARTER
from drsim.montecarlo import run_trials
from drsim.scenario import parse_scenario

runner = CliRunner()


def ok(args: list[str], **kw: Any) -> str:
    res = runner.invoke(app, args, **kw)
    assert res.exit_code == 0, res.output
    return str(res.output)


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(flag):
    assert ok([flag]) == f"drsim {version('drsim')}\n"


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_h_is_help_on_every_command(command):
    args = [command] if command else []
    long, short = ok([*args, "--help"]), ok([*args, "-h"])
    assert long == short
    assert long.startswith("Usage: ") and "-h, --help" in long


def test_the_command_list_is_the_commands_own_summaries():
    listed = ok(["--help"])
    for name, (_module, _function, summary) in COMMANDS.items():
        assert f"  {name} " in listed and summary in listed
        assert all_commands()[name].short_help == summary  # the one summary, in both places


def _opts(param: Any) -> list[str]:
    return [*param.opts, *getattr(param, "secondary_opts", [])]


def test_short_options_are_the_same_on_every_command_and_never_clash():
    with_short = set()
    for name, cmd in all_commands().items():
        opts = [o for p in cmd.params if p.param_type_name == "option" for o in _opts(p)]
        assert len(opts) == len(set(opts)), f"drsim {name}: an option written twice"
        for p in cmd.params:
            for long, short in SHORT_OPTIONS.items():
                if long in p.opts:
                    assert p.opts[0] == short, f"drsim {name} {long} has no {short}"
                    with_short.add((name, short))
        assert all(o.startswith("--") or o in {*SHORT_OPTIONS.values(), "-h"} for o in opts)
    # the common flags of the commands that run trials or write files
    assert {("run", "-n"), ("run", "-s"), ("run", "-o"), ("run", "-j"), ("run", "-f"),
            ("compare", "-m"), ("plot", "-o"), ("export", "-f"), ("init", "-f"),
            ("verify", "-n"), ("replay", "-s")} <= with_short


def test_short_options_are_shown_in_help():
    text = ok(["run", "--help"])
    for shown in ("-n, --trials", "-s, --seed", "-o, --out", "-j, --workers", "-f, --force"):
        assert shown in text


def test_flags_show_no_metavar_in_any_help():
    """A flag's help line is its names alone ('-f, --force', '--timeline / --no-timeline'),
    never '<bool>' or 'BOOLEAN' after them; checked on every command's help text."""
    for name, cmd in all_commands().items():
        text = ok([name, "--help"])
        assert "<bool>" not in text and "BOOLEAN" not in text, name
        for p in cmd.params:
            if getattr(p, "is_flag", False):
                names = " / ".join([", ".join(p.opts), *([", ".join(p.secondary_opts)]
                                                        if p.secondary_opts else [])])
                line = next(x for x in text.splitlines() if x.strip().startswith(names))
                rest = line.strip()[len(names):]
                assert rest == "" or rest.startswith("  "), (name, line)  # then the help
    top = ok(["--help"])
    assert "<bool>" not in top and "-V, --version  " in top


# ---- shell completion ------------------------------------------------------------------------


def complete(words: str) -> list[str]:
    env = {"_DRSIM_COMPLETE": "complete_bash", "COMP_WORDS": words,
           "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1))}
    return ok([], prog_name="drsim", env=env).split()


def test_completion_of_commands_options_and_short_options():
    assert complete("drsim ru") == ["run"]
    assert complete("drsim s") == ["schema", "scenarios", "show", "sweep", "sensitivity", "score"]
    assert complete("drsim run --tr") == ["--trials", "--trial"]
    assert {"-n", "--trials", "-o", "--out", "--no-timeline"} <= set(complete("drsim run -"))
    assert complete("drsim init --f") == ["--force"]


def test_show_and_install_completion(tmp_path, monkeypatch):
    # typer detects the shell from the process tree (shellingham); a test run started from a
    # process that is not a shell would detect none, so the detection is pinned to bash here
    import typer.completion

    monkeypatch.setattr(typer.completion, "_get_shell_name", lambda: "bash")
    script = ok(["--show-completion", "bash"], prog_name="drsim")
    assert "_DRSIM_COMPLETE=complete_bash" in script
    assert "complete -o default -F _drsim_completion drsim" in script
    out = ok(["--install-completion", "bash"], prog_name="drsim",
             env={"HOME": str(tmp_path), "SHELL": "/bin/bash"})
    assert "bash completion installed" in out
    installed = tmp_path / ".bash_completions" / "drsim.sh"
    assert installed.read_text().strip() == script.strip()
    assert "source " in (tmp_path / ".bashrc").read_text()


# ---- tables that follow the width ------------------------------------------------------------


@pytest.fixture(scope="module")
def starter(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("conv") / "starter.yaml"
    path.write_text(STARTER)
    return path


def widths(args: list[str], columns: int) -> list[int]:
    """Line widths, except the replay commands printed under the worst trials: a command to
    copy is never folded, whatever the width."""
    return [len(line) for line in ok(args, env={"COLUMNS": str(columns)}).splitlines()
            if not line.startswith("  drsim run ")]


@pytest.mark.parametrize("args", [["run"], ["run", "{starter}", "-n", "3", "-j", "1"],
                                  ["scenarios"]], ids=["one drill", "trials", "scenarios"])
def test_output_fits_columns_and_tables_reflow(args, starter):
    args = [a.format(starter=starter) for a in args]
    narrow, wide = widths(args, 60), widths(args, 200)
    assert max(narrow) <= 60 and max(wide) <= 200
    assert max(wide) > 100  # given room, the tables spread out instead of wrapping
    assert len(narrow) > len(wide)  # squeezed, their cells wrap onto more lines


def test_output_to_a_pipe_without_columns_is_120_wide(monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    assert 100 < max(widths(["run"], 120)) <= 120
    res = runner.invoke(app, ["run"])
    assert max(len(line) for line in res.output.splitlines()) == max(widths(["run"], 120))


# ---- progress, trial by trial ------------------------------------------------------------


@pytest.mark.parametrize("workers", [1, 2])
def test_progress_is_reported_once_per_trial_not_per_batch(workers):
    sc = parse_scenario(STARTER)
    calls: list[tuple[int, int, int]] = []
    result = run_trials(sc, 9, workers=workers, batch_size=5,
                        progress=lambda done, total, rows: calls.append((done, total,
                                                                         len(rows))))
    assert len(result.frame) == 9
    # batches of 5 and 4 trials, but one call per trial, each with its row already in hand
    # (rows arrive in groups of 1 and 4, 1 and 3: the rows held may run ahead of the count)
    assert [(done, total) for done, total, _ in calls] == [(n, 9) for n in range(1, 10)]
    held = [h for _, _, h in calls]
    assert all(h >= done for done, _, h in calls) and held == sorted(held)
    if workers == 1:  # in this process the groups come in order
        assert held == [1, 5, 5, 5, 5, 6, 9, 9, 9]


def test_progress_of_a_resumed_run_counts_from_the_rows_already_there():
    sc = parse_scenario(STARTER)
    first = run_trials(sc, 4, workers=1)
    calls: list[int] = []
    run_trials(sc, 7, workers=1, previous=first.frame,
               progress=lambda done, total, rows: calls.append(done))
    assert calls == [5, 6, 7]
