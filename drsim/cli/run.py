"""drsim run: one drill (story, metrics, timeline) or many trials (distributions, CIs)."""

from __future__ import annotations

import shlex
import signal
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from drsim.bundled import default_scenario
from drsim.cli.common import (
    DASK,
    DEBUG,
    EXIT_BREACHED,
    EXIT_STATUSES,
    EXIT_TRIALS_FAILED,
    EXIT_WORKER_LOST,
    OWN_WORKERS,
    Applies,
    Mode,
    check_choice,
    err_console,
    handle_errors,
    load,
    out_console,
    oversized,
    refuse_beyond_limits,
    refuse_inapplicable,
)
from drsim.cli.method import answer
from drsim.errors import DrsimError, OutputError, Terminated, TrialsFailed, WriteError
from drsim.methods.choose import METHODS, choose, few_outages_note
from drsim.montecarlo import BACKENDS, Trials, run_trials
from drsim.report import store
from drsim.report.folder import ROWS
from drsim.report.lock import folder_lock, holder, lock_path
from drsim.report.objectives import drill_json, proportion_labels
from drsim.report.output import check_writable, is_stdout, write_atomic, write_json
from drsim.report.text import render_run
from drsim.report.trials_text import (
    drill_breaches,
    render_summary,
    render_worst,
    trials_breaches,
    worst_trials,
)
from drsim.rows import Rows
from drsim.scenario.schema import Scenario
from drsim.sim.engine import simulate
from drsim.stats import mean_ci


def _many(p: Any) -> bool:
    return p["trials"] is not None or p["until"] is not None or p["out"] is not None


MONTE_CARLO = Mode("with --trials, --until or --out (Monte Carlo)",
                   "remove it or add --trials N", _many)
ONE_DRILL = Mode("to one drill (without --trials, --until or --out)", "remove it",
                 lambda p: not _many(p))
WITH_OUT = Mode("with --out DIR (the folder of trial rows)", "remove it or add --out DIR",
                lambda p: p["out"] is not None)
OVERWRITES = Mode("with --json, --report, or --out without --resume (it lets them "
                  "overwrite), or a run beyond the pre-flight limits (it runs it anyway)",
                  "remove it",
                  lambda p: p["json_out"] is not None or p["report"] is not None
                  or (p["out"] is not None and not p["resume"]) or _oversized(p))


def _oversized(p: Any) -> bool:
    """True when a Monte Carlo run is beyond drsim.preflight's limits (--force runs it)."""
    try:
        target = parse_until(p["until"]) if p["until"] else None
    except DrsimError:
        return False  # the command itself reports the bad input
    return _many(p) and oversized([p["scenario"] or default_scenario()],
                                  trial_cap(p["trials"], target),
                                  target[1] if target and not p["trials"] else None)


def trial_cap(trials: int | None, target: object) -> int:
    """The trials a run may take: those asked for, else the cap with --until, else the default."""
    return trials or (UNTIL_CAP if target else DEFAULT_TRIALS)

WITHOUT_TRIALS = Mode(
    "as exact or rare without --trials, --until, --out, --report, --trial, --no-timeline and "
    "--allow-breach (those need trials or a drill)", "remove them or use --method des",
    lambda p: p["method"] in ("des", "auto") or not (
        _many(p) or p["report"] is not None or p["trial"] is not None or not p["timeline"]
        or p["allow_breach"]))
NOT_EXACT = Mode("with --method des, rare or auto (an exact answer draws no random numbers)",
                 "remove it", lambda p: p["method"] != "exact")


def _approximable(p: Any) -> bool:
    """--method exact, rare or auto on a scenario with something to approximate (a hot
    standby's detection delay); a scenario that does not load is the command's to report."""
    if p["method"] == "des":
        return False
    from drsim.methods.markov import hot_standby
    from drsim.scenario import load_scenario

    try:
        return hot_standby(load_scenario(p["scenario"] or default_scenario())) is not None
    except DrsimError:
        return True


APPROXIMATES = Mode("with --method exact, rare or auto on a scenario with a hot standby (it "
                    "approximates the detection delay before the takeover)", "remove it",
                    _approximable)

# which options apply in which mode (every other option applies in every mode)
APPLIES: Applies = {
    "method": [WITHOUT_TRIALS], "seed": [NOT_EXACT], "approximate": [APPROXIMATES],
    "workers": [MONTE_CARLO, OWN_WORKERS], "backend": [MONTE_CARLO],
    "scheduler": [MONTE_CARLO, DASK], "batch_size": [MONTE_CARLO], "fmt": [WITH_OUT],
    "resume": [WITH_OUT], "force": [OVERWRITES], "timeline": [ONE_DRILL], "trial": [ONE_DRILL],
}


DEFAULT_TRIALS, UNTIL_CAP = 1000, 100_000  # trials run without --trials; the cap with --until
EXIT_STATUS_HELP = "Exit status: " + "; ".join(f"{code} {meaning}"
                                              for code, meaning in EXIT_STATUSES.items()) + "."


def run(
    ctx: typer.Context,
    scenario: Path | None = typer.Argument(
        None, help="Scenario file; without one, the bundled New York → Chicago drill."),
    seed: int | None = typer.Option(None, "--seed", min=0,
                                    help="Root seed (default: the scenario's)."),
    trials: int | None = typer.Option(None, "--trials", min=1,
                                      help="Run this many Monte Carlo trials (the cap with "
                                           "--until)."),
    trial: int | None = typer.Option(None, "--trial", min=0, metavar="N",
                                     help="Replay trial N of a Monte Carlo run as one drill, "
                                          "with its story and timeline: the same numbers as "
                                          "its row (give the run's --seed too)."),
    workers: int | None = typer.Option(None, "--workers", min=1,
                                       help="Worker processes (default: all cores)."),
    backend: str = typer.Option("local", "--backend", help="local (process pool) or dask."),
    scheduler: str | None = typer.Option(None, "--scheduler",
                                         help="Dask scheduler address, e.g. tcp://host:8786."),
    batch_size: int | None = typer.Option(None, "--batch-size", min=1,
                                          help="Trials per batch sent to a worker."),
    until: str | None = typer.Option(None, "--until", metavar="METRIC=PCT",
                                     help="Stop once the 95% CI half-width of METRIC's mean is "
                                          "within PCT of the mean, e.g. rto_full=2%."),
    out: Path | None = typer.Option(None, "--out", help="Write trials, summary and manifest "
                                                        "to this folder."),
    fmt: str = typer.Option("parquet", "--format", help="Trial rows as parquet or csv."),
    resume: bool = typer.Option(False, "--resume", help="Run only the trials missing in --out "
                                                        "(up to the folder's own count unless "
                                                        "--trials says more)."),
    json_out: Path | None = typer.Option(None, "--json", help="Write the result (one drill) or "
                                                              "the summary (trials) as JSON; "
                                                              "'-' for stdout (the rest of the "
                                                              "output then goes to stderr)."),
    report: Path | None = typer.Option(None, "--report", metavar="FILE",
                                       help="Write a self-contained HTML report: one drill "
                                            "(story, timeline, status page) or the trials "
                                            "(distributions, objectives, worst trials and the "
                                            "worst one's story and status page)."),
    force: bool = typer.Option(False, "--force", help="Overwrite existing outputs."),
    timeline: bool = typer.Option(True, "--timeline/--no-timeline",
                                  help="Print the incident timeline (one drill)."),
    allow_breach: bool = typer.Option(False, "--allow-breach",
                                      help="Exit 0 even when an objective is breached (for "
                                           "exploring; CI gates leave it off)."),
    method: str = typer.Option("des", "--method",
                               help="des: simulate (the default); exact: solve the Markov "
                                    "chain; rare: importance sampling; auto: exact when the "
                                    "scenario is Markovian and the question is availability "
                                    "(no --trials, --out, --report, --until, --trial or "
                                    "objectives), "
                                    "else des. See docs/methods.md."),
    approximate: bool = typer.Option(False, "--approximate",
                                     help="Let exact, rare and auto model a hot standby's "
                                          "detection delay (nearly fixed) by a phase-type "
                                          "(Erlang) delay of the same mean and variance; the "
                                          "answer says it is approximate."),
    debug: bool = DEBUG,
) -> None:
    """Run one drill, or with --trials/--until many, and report what it costs."""
    with handle_errors(debug), ExitStack() as held:  # held: the --out folder's lock
        refuse_inapplicable(ctx, APPLIES)
        check_choice("--backend", backend, BACKENDS)
        check_choice("--format", fmt, tuple(ROWS))
        check_choice("--method", method, METHODS)
        sc = load(scenario)
        console = out_console(120, stderr=is_stdout(json_out))
        for target_file in (json_out, report):
            if target_file is not None and not is_stdout(target_file):
                check_writable(target_file, force)
        choice = choose(sc, method, ctx.params)
        if choice.why:
            note(choice.why)
        if choice.method in ("exact", "rare"):
            answer(sc, choice.method, sc.simulation.seed if seed is None else seed, json_out,
                   console, approximate, scenario)
            return
        if method == "auto":
            trials = trials or (None if until or out else 1000)
        if trials is None and until is None and out is None:
            drill = replay_trial(sc, seed, trial or 0, debug)
            if json_out is not None:
                write_json(json_out, drill_json(drill, sc))
            if report is not None:
                from drsim.report.html import render_run_report

                write_atomic(report, render_run_report(drill, sc))
            render_run(drill, console, timeline=timeline, scenario=sc)
            if report is not None:
                console.print(f"Report written to {report}")
            gate(drill_breaches(drill), allow_breach)
            return
        target = parse_until(until) if until else None
        if target:  # an unknown metric is the first thing to say
            target = (resolve_until(sc, target[0]), target[1])
        cap = trial_cap(trials, target)
        # a target the default cap cannot reach is refused; a cap given is the user's call
        refuse_beyond_limits([sc], cap, force, target[1] if target and not trials else None)
        if out is not None:  # one run at a time per folder; checked again once it is ours
            if lock_path(out).exists():  # a run (or a killed one) has it: say who, first
                raise OutputError(holder(out))
            store.check_out_dir(out, force, resume)
            held.enter_context(folder_lock(out))
            store.check_out_dir(out, force, resume)
        root = sc.simulation.seed if seed is None else seed
        previous = store.load_previous(out, sc, root, note) if resume and out else None
        if resume and out:
            cap = store.check_resume_count(out, cap if trials or target else None)
        watched = target[0] if target else "rto_full_s"
        journal = store.RunJournal(out, sc, root, cap, resume) if out is not None else None
        # with --out the rows stream to a file in the folder being made, never all in memory
        stream = store.stream_to(out) if out is not None else None
        held.callback(store.discard, stream)  # unless saved (then it is gone): on any exit
        with sigterm_stops(), progress_bar(console, cap, watched) as tick:
            try:
                result = run_trials(sc, cap, root, workers, backend, scheduler, batch_size,
                                    target, tick, previous,
                                    on_batch=journal.add if journal else None, note=note,
                                    rows_to=stream)
            except WriteError as e:  # the rows streamed into the folder being made: name it
                if stream is not None and e.path == stream:
                    raise WriteError(out, e.why) from None
                raise
            finally:
                if journal is not None:
                    journal.close()
        summary = result.summary()
        replay = replay_command(scenario, seed)
        failed = failed_trials(result, replay_command(scenario, root))
        summary_doc = {**summary.to_dict(), "failed_trials": failed, "method": "des"}
        if report is not None and result.rows_file is not None:  # its figures need every
            result.frame, result.rows_file = result.read_frame(), None  # row: read them back
        # read from the streamed rows before save() moves them into the folder
        shown = result.worst()
        few = few_outages_note(int((result.column("downtime_s") > 0).sum()), result.done,
                               sc) if method == "auto" else ""
        if out is not None:
            store.save(out, result, summary_doc, fmt, backend, scenario)
        if json_out is not None:
            write_json(json_out, summary_doc)
        if report is not None:
            from drsim.report.html import render_trials_report

            worst = worst_trials(shown, 1)
            replayed = simulate(sc, seed=root, trial=worst[0]) if worst else None
            write_atomic(report, render_trials_report(result, summary, replayed, replay))
        report_trials(result, summary, console, out, replay, shown)
        if report is not None:
            console.print(f"Report written to {report}")
        if few:
            note(few)
        if result.interrupted:
            raise typer.Exit(result.interrupted)
        if result.lost:
            again = shlex.join(["drsim", "run", *([str(scenario)] if scenario else []),
                                *(["--seed", str(seed)] if seed is not None else []),
                                "--out", str(out), "--resume"])
            kept = (f"kept in {out}; `{again}` continues the run" if out is not None
                    else "not saved (no --out)")
            err_console.print(f"error: {result.lost}; the {result.done:,} finished "
                              f"trials are {kept} (with fewer --workers or more memory)",
                              markup=False)
            raise typer.Exit(EXIT_WORKER_LOST)
        if failed:
            fail_trials(failed, result.done, None if out is None else shlex.join(
                ["drsim", "run", *([str(scenario)] if scenario else []), "--seed", str(root),
                 "--out", str(out), "--resume"]))
        gate(trials_breaches(summary), allow_breach)


def note(line: str) -> None:
    """A line about something survived (a worker death, a torn journal end), on stderr."""
    err_console.print(f"note: {line}", markup=False)


run.__doc__ = f"{run.__doc__}\n\n{EXIT_STATUS_HELP}"


def replay_trial(sc: Scenario, seed: int | None, trial: int, debug: bool) -> Any:
    """One drill (trial `trial` of a run): a trial that raises is a TrialsFailed (exit 70)
    saying how to see why, or with --debug its traceback and exit 70."""
    try:
        return simulate(sc, seed=seed, trial=trial)
    except Exception as e:  # an engine error, the one thing a trial row records
        if debug:
            traceback.print_exc()
            raise typer.Exit(EXIT_TRIALS_FAILED) from None
        raise TrialsFailed(f"trial {trial} raised {type(e).__name__}: {e}; add --debug for "
                           "its traceback") from None


def failed_trials(result: Trials, replay: Callable[[int], str]) -> list[dict[str, Any]]:
    """Each failed trial with its error and the command that replays it with a traceback."""
    return [{**f, "replay": f"{replay(f['trial'])} --debug"} for f in store.failed_trials(result)]


def fail_trials(failed: list[dict[str, Any]], ran: int, again: str | None) -> None:
    """Exit 70 (the run is not complete), saying which trials raised what, the command that
    replays the first with its traceback, and how to run them again."""
    shown = "; ".join(f"trial {f['trial']}: {f['error']}" for f in failed[:3])
    more = f"; and {len(failed) - 3} more" if len(failed) > 3 else ""
    rerun = f"; run them again: {again}" if again else ""
    err_console.print(f"exit status {EXIT_TRIALS_FAILED}, {len(failed)} of {ran} trials failed "
                      f"({shown}{more}); see why: {failed[0]['replay']}{rerun}", markup=False)
    raise typer.Exit(EXIT_TRIALS_FAILED)


def replay_command(scenario: Path | None, seed: int | None) -> Callable[[int], str]:
    """The command that replays trial n of this run as one drill (with --seed when the run
    was given one)."""
    head = ["drsim", "run", *([str(scenario)] if scenario is not None else [])]
    tail = ["--seed", str(seed)] if seed is not None else []
    return lambda n: shlex.join([*head, "--trial", str(n), *tail])


def gate(breached: list[str], allow_breach: bool) -> None:
    """Exit 1 when an objective was breached (unless --allow-breach), saying which on stderr."""
    if not breached:
        return
    if allow_breach:
        err_console.print(f"objectives breached: {'; '.join(breached)} "
                          "(exit status 0: --allow-breach)", markup=False)
        return
    err_console.print(f"exit status 1, objectives breached: {'; '.join(breached)} "
                      "(--allow-breach exits 0)", markup=False)
    raise typer.Exit(EXIT_BREACHED)


def resolve_until(sc: Scenario, metric: str) -> str:
    """The trial column --until watches ('rto_full' finds rto_full_s), or a DrsimError."""
    import pandas as pd

    from drsim.stats import resolve_metric
    from drsim.trial import columns

    try:
        return resolve_metric(pd.DataFrame(columns=columns(sc)), metric)
    except ValueError as e:
        raise DrsimError(f"--until: {e}") from None


def parse_until(text: str) -> tuple[str, float]:
    """'rto_full=2%' → ('rto_full', 0.02); the metric name is resolved against the trial
    columns by run_trials (rto_full finds rto_full_s)."""
    metric, sep, pct = text.partition("=")
    try:
        value = float(pct.strip().rstrip("%")) / (100 if pct.strip().endswith("%") else 1)
    except ValueError:
        value = -1.0
    if not sep or not value > 0:
        raise DrsimError(f"--until {text}: write METRIC=PCT, e.g. rto_full=2%")
    return metric.strip(), value


@contextmanager
def sigterm_stops() -> Iterator[None]:
    """SIGTERM stops the run like Ctrl-C does: finished trials are kept and saved."""

    def stop(signum: int, frame: Any) -> None:
        raise Terminated()

    old = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


@contextmanager
def progress_bar(console: Console, total: int, metric: str) -> Iterator[Any]:
    """A live bar with trials/s, ETA and the watched metric's CI — on a terminal only."""
    if not console.is_terminal:
        yield None
        return
    started = time.perf_counter()
    bar = Progress(TextColumn("{task.completed:>7,} / {task.total:,} trials"), BarColumn(),
                   TextColumn("{task.fields[rate]:>8} trials/s"), TimeRemainingColumn(),
                   TextColumn("{task.fields[ci]}"), console=console, transient=True)
    task = bar.add_task("trials", total=total, rate="", ci="")
    last = [0.0]

    def tick(done: int, total_: int, rows: Rows) -> None:
        now = time.perf_counter()
        if now - last[0] < 0.25 and done < total_:
            return
        last[0] = now
        est = mean_ci(rows.column(metric))
        ci = f"{metric} {est.value:,.1f} ± {est.half_width:,.1f}" if est.n > 1 else ""
        bar.update(task, completed=done, rate=f"{done / (now - started):,.0f}", ci=ci)

    with bar:
        yield tick


def report_trials(result: Trials, summary: Any, console: Console, out: Path | None,
                  replay: Callable[[int], str] | None = None, shown: Any = None) -> None:
    """The run's summary, its worst trials (from `shown`: Trials.worst(), read before the
    streamed rows were saved away) and where the folder went."""
    sc: Scenario = result.scenario
    why = ("SIGTERM" if result.interrupted == 143 else "Ctrl-C" if result.interrupted
           else "a worker kept dying")
    state = ("complete" if result.complete else
             f"stopped early ({why}), finished trials kept"
             if result.interrupted or result.lost else
             f"not complete: {result.failed:,} failed with an error")
    console.print(f"[bold]{escape(sc.name)}[/bold]  seed {result.seed}, {result.done:,} of "
                  f"{result.requested:,} trials, {state}"
                  + (f"; stopped: {result.stopped_by}" if result.stopped_by else "")
                  + "; method des (Monte Carlo, 95% CIs)")
    render_summary(summary, console, header=False, labels=proportion_labels(sc))
    render_worst(result.worst() if shown is None else shown, console, replay)
    if out is not None:
        console.print(f"Trials, summary and manifest written to {out}")
