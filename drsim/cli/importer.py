"""drsim import topology: a network graph (GraphML) → a scenario skeleton to edit, which
validates and runs a year of random failures as written (rules: drsim/importers/topology.py,
docs/topologies.md)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from drsim.cli.common import DEBUG, err_console, handle_errors
from drsim.errors import Issue, OutputError, ScenarioError
from drsim.report.output import check_writable, is_stdout, write_atomic


class Kind(StrEnum):
    topology = "topology"


def import_command(
    kind: Kind = typer.Argument(..., help="What to import: topology (a GraphML network "
                                          "graph: Topology Zoo, SNDlib, networkx, yEd)."),
    source: Path = typer.Argument(..., help="The GraphML file to read."),
    out: Path = typer.Option(Path("scenario.yaml"), "--out",
                             help="The scenario file to write ('-': standard output)."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
    latency: str | None = typer.Option(
        None, "--latency", help="Latency of every edge that has no latency, no distance and "
                                "no node coordinates, e.g. 1ms (a warning names such "
                                "links); without it such an edge is an error."),
    primary: str | None = typer.Option(None, "--primary", help="The site (its id in the "
                                       "scenario) where the service runs; default: the site "
                                       "with the most links."),
    backup: str | None = typer.Option(None, "--backup", help="The site of the warm standby; "
                                      "default: the site with the next most links."),
    debug: bool = DEBUG,
) -> None:
    """Write a scenario skeleton from a network graph: sites, links with latencies from
    distances, failure defaults to edit, and a service with a failover runbook; it validates
    and runs a year of random failures as written."""
    from drsim.importers import graphml
    from drsim.importers.topology import Importer, count
    from drsim.scenario import parse_scenario
    from drsim.units import parse_duration

    with handle_errors(debug):
        default_s = None
        if latency is not None:
            try:
                default_s = parse_duration(latency)
            except ValueError as e:
                raise ScenarioError([Issue(0, 0, "--latency", str(e), "<command line>")]) \
                    from None
        if not is_stdout(out):
            if out.is_dir():
                raise OutputError(f"{out}: is a folder; name the file to write, e.g. "
                                  f"{out / 'scenario.yaml'}")
            check_writable(out, force)
        skeleton = Importer(graphml.read(source), default_s, primary, backup).run()
        try:
            parse_scenario(skeleton.text, str(out))  # what is written loads as written
        except ScenarioError as e:
            raise ScenarioError([Issue(0, 0, "", "the scenario made from this graph "
                                       f"({len(skeleton.nodes)} nodes, {len(skeleton.links)} "
                                       f"links) does not load: {i.message}", str(source))
                                 for i in e.issues]) from None
        for warning in sorted(skeleton.warnings):
            err_console.print(str(warning), markup=False)
        if is_stdout(out):
            typer.echo(skeleton.text, nl=False)
            return
        write_atomic(out, skeleton.text)
        sites = sum(1 for n in skeleton.nodes if n.site)
        typer.echo(
            f"{out}: {count(sites, 'site')}, "
            f"{count(len(skeleton.nodes) - sites, 'access point')}, "
            f"{count(len(skeleton.links), 'link')}; the service runs at {skeleton.primary}, "
            f"standby at {skeleton.backup}. Next: drsim validate {out}, then drsim run {out}.")
