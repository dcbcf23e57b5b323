"""drsim init: write a commented starter scenario (two sites, one service, one runbook) that
validates and runs as written, for a new user to edit into a model of their own estate."""

from __future__ import annotations

from pathlib import Path

import typer

from drsim.cli.common import DEBUG, handle_errors
from drsim.errors import OutputError
from drsim.report.output import check_writable, write_atomic

# Fixed durations, so its drill can be worked out by hand (tests/test_cli_init.py does).
STARTER = """\
# A starter drsim scenario, written by `drsim init`: two sites, one service, one runbook.
# Edit it to describe your own estate, then
#   drsim validate scenario.yaml   # every problem, with its line and how to fix it
#   drsim run scenario.yaml        # the drill: story, timeline, recovery times, data lost
# Every field, with its unit and default: docs/scenario-format.md, or `drsim schema`.
# Durations are written with a unit (90s, 15m, 4h, 2d); fixed here, so the drill's times can
# be worked out by hand. A distribution instead, e.g. {triangular: {low: 5m, mode: 10m,
# high: 30m}}, makes every trial different (drsim run scenario.yaml --trials 1000).
drsim: 1
name: Starter drill, the primary site's servers fail
description: >
  The application servers in the primary site fail at 10:00. Monitoring notices, the on-call
  engineer answers the page and declares a disaster; the runbook starts the application in
  the backup site and moves the customers there, then brings them home once the primary is
  repaired.

simulation:
  start: "2026-03-10T09:00"   # local time at the start of the drill
  timezone: UTC               # any IANA time zone, e.g. Europe/Paris or America/New_York
  horizon: 1d                 # how long the drill runs
  seed: 1                     # the root seed: the same seed gives the same drill

sites:
  primary:
    capacity: 1000            # customers it can serve
    components:
      servers: {count: 2, needed: 1, ttr: 4h}   # ttr: time to repair a failed unit
  backup:
    capacity: 1000
    components:
      servers: {count: 2, needed: 1, ttr: 4h}

access_points:
  internet: {}                # where customers come from

links:
  internet-primary: {a: internet, b: primary, latency: 5ms, bandwidth: 10Gbps}
  internet-backup: {a: internet, b: backup, latency: 20ms, bandwidth: 10Gbps}

services:
  app:
    requires: [servers]       # components it needs at the site it runs at
    active: [primary]         # where it runs
    standby: {sites: [backup], mode: warm}    # installed in the backup site, not running
    replication: {mode: async, to: backup, lag: 5m}   # data copied to the backup, 5 min behind

customers:
  everyone: {count: 1000, access: internet, home: primary, services: [app]}

staff:
  on_call: {count: 1, shift: 24x7}   # one engineer, always on shift

detection:
  interval: 1m                # monitoring checks once a minute...
  failed_checks: 3            # ...and alerts at the third failed check in a row
  page: on_call
  ack_delay: 5m               # the page is answered 5 minutes later
  declare_delay: 10m          # and a disaster declared 10 minutes after that

runbooks:
  failover:
    trigger: declared
    steps:
      - id: start-backup
        duration: 15m
        roles: [on_call]
        effects:
          - activate: {service: app, site: backup}
      - id: move-customers
        after: [start-backup]
        duration: 10m
        roles: [on_call]
        effects:
          - move: {groups: all, to: backup}
      - id: move-home
        description: Once the primary is repaired, move everyone back and stop the backup
        after: [move-customers]
        requires: {site_healthy: [primary]}
        duration: 10m
        roles: [on_call]
        effects:
          - move: {groups: all, to: home}
          - deactivate: {service: app, site: backup}

disruptions:
  - id: servers-fail
    at: "2026-03-10T10:00"
    targets:
      - component: primary.servers     # every unit of it; add `count: 1` for just one
    until: repaired

objectives:
  - {id: app-recovery, service: app, rto: 1h, rpo: 15m}
"""


def init(
    path: Path = typer.Argument(Path("scenario.yaml"),
                                help="The file to write (missing folders are created)."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
    debug: bool = DEBUG,
) -> None:
    """Write a commented starter scenario (two sites, one service, one runbook) to edit:
    it validates and runs as written."""
    with handle_errors(debug):
        if path.is_dir():
            raise OutputError(f"{path}: is a folder; name the file to write, e.g. "
                              f"{path / 'scenario.yaml'}")
        check_writable(path, force)
        write_atomic(path, STARTER)
        typer.echo(f"Starter scenario written to {path}. Next: drsim validate {path}, "
                   f"then drsim run {path}.")
