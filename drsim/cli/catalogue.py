"""drsim schema and drsim scenarios: what the format is, and which drills ship with drsim."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from drsim.bundled import BUNDLED_DIR, bundled_scenarios, default_scenario
from drsim.cli.common import out_console
from drsim.errors import ScenarioError
from drsim.scenario import json_schema, load_scenario


def schema(
    variant: bool = typer.Option(False, "--variant",
                                 help="The schema of a variant file (a patch on a base "
                                      "scenario: `base` required, every other key optional) "
                                      "instead of a full scenario's."),
) -> None:
    """Print the JSON Schema of the scenario format (for editor validation and completion)."""
    if variant:
        from drsim.scenario.variant_schema import variant_json_schema

        typer.echo(json.dumps(variant_json_schema(), indent=2))
    else:
        typer.echo(json.dumps(json_schema(), indent=2))


def scenarios() -> None:
    """List the bundled example drills, one line each."""
    table = Table(title="Bundled drills (run one with: drsim run <path>)")
    paths = bundled_scenarios()
    shown = {p: f"scenarios/{p.relative_to(BUNDLED_DIR).as_posix()}" for p in paths}
    # a path stays whole while it can (to copy it); on a narrow terminal it folds, and the
    # drill's name keeps room to wrap in
    table.add_column("path", overflow="fold", min_width=20)
    table.add_column("drill", min_width=20)
    default = default_scenario().resolve()
    for path in paths:
        try:
            title = load_scenario(path).name
        except ScenarioError:
            title = "(does not validate)"
        mark = "  (default)" if path.resolve() == default else ""
        table.add_row(shown[path], title + mark)
    out_console(80).print(table)
