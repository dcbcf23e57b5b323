"""Live replay: one drill stepped against scaled wall-clock time, shown as it happens.

The drill is the same `Drill` that `drsim run` simulates, on an ordinary simpy environment;
instead of `env.run(until=horizon)` the replay steps it one event at a time, never past the
instant the scaled clock has reached. Stepping only changes *when* events are processed in
real time, never their order, so the events are exactly those of `drsim run` for the seed.

Pacing. `speed` simulated seconds pass per real second (600: ten simulated minutes a second;
0: as fast as possible). The speed is exact between events, with one documented exception:
a quiet stretch that would take longer than `skip_quiet` real seconds is cut short, the clock
jumping to one real second before the next event (the board says how much it skipped).
`skip_quiet=0` never skips. To know when the next event comes, the drill is first simulated
once off-screen (milliseconds for a drill); that preview also tells where the last event is,
so by default the replay ends there instead of idling until the horizon.
"""

from __future__ import annotations

import os
import select
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TextIO

import simpy
from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from drsim.calendar import wall_clock
from drsim.errors import SimulationError
from drsim.recorder import Event
from drsim.result import RunResult
from drsim.scenario.schema import Scenario
from drsim.sim.engine import Drill, simulate
from drsim.units import format_duration

Timer = Callable[[], float]


def feed_line(wall: datetime, kind: str, subject: str, detail: str = "") -> str:
    """One event as a plain log line: local wall-clock time, kind, subject, detail."""
    return f"{wall:%Y-%m-%d %H:%M:%S %Z}  {kind:<18} {subject}  {detail}".rstrip()


def event_line(origin: datetime, event: Event) -> str:
    return feed_line(wall_clock(origin, event.time_s), event.kind, event.subject, event.detail)


class Clock:
    """The scaled clock: simulation seconds as a function of real time; pause, speed, jump."""

    def __init__(self, speed: float, timer: Timer = time.monotonic, start_s: float = 0.0) -> None:
        if speed < 0:
            raise ValueError("speed must be >= 0")
        self.speed, self.timer, self.paused = speed, timer, False
        self._base_s, self._base_t = start_s, timer()

    def now(self) -> float:
        if self.speed == 0:
            return float("inf")
        if self.paused:
            return self._base_s
        return self._base_s + (self.timer() - self._base_t) * self.speed

    def _rebase(self, sim_s: float | None = None) -> None:
        now = self.now() if sim_s is None else sim_s
        if now != float("inf"):
            self._base_s = now
        self._base_t = self.timer()

    def set_speed(self, speed: float) -> None:
        if self.speed == 0 or speed <= 0:
            return  # "as fast as possible" has no faster or slower
        self._rebase()
        self.speed = speed

    def toggle_pause(self) -> None:
        self._rebase()
        self.paused = not self.paused

    def jump(self, sim_s: float) -> None:
        self._rebase(sim_s)

    def real_s_until(self, sim_s: float) -> float:
        """Real seconds until the clock reads sim_s (inf when paused)."""
        if self.speed == 0:
            return 0.0
        if self.paused:
            return float("inf")
        return max(0.0, (sim_s - self.now()) / self.speed)


class Replay:
    """One drill, advanced on demand to a simulation instant; the preview gives lookahead."""

    def __init__(self, scenario: Scenario, seed: int | None = None,
                 until_end: bool = True) -> None:
        self.scenario = scenario
        self.preview: RunResult = simulate(scenario, seed)
        self.drill = Drill(scenario, seed)
        self.horizon_s = scenario.simulation.horizon
        last = max((e.time_s for e in self.preview.timeline), default=0.0)
        self.stop_s = min(last, self.horizon_s) if until_end else self.horizon_s
        self.env: simpy.Environment = self.drill.env
        self.drill.start()

    @property
    def events(self) -> list[Event]:
        return self.drill.recorder.events

    @property
    def origin(self) -> datetime:
        return self.drill.origin

    def advance(self, target_s: float) -> list[Event]:
        """Process every event due at or before target_s (never at or past the horizon, like
        `env.run(until=horizon)`); return the events recorded meanwhile."""
        seen = len(self.events)
        limit = min(target_s, self.stop_s)
        env = self.env
        while True:
            t = env.peek()
            if t > limit or t >= self.horizon_s:
                break
            env.step()
        return self.events[seen:]

    @property
    def done(self) -> bool:
        t = self.env.peek()
        return t > self.stop_s or t >= self.horizon_s

    def next_event_s(self) -> float:
        """When the next recorded event falls (from the preview); the stop instant if none."""
        i = len(self.events)
        timeline = self.preview.timeline
        return timeline[i].time_s if i < len(timeline) else self.stop_s

    def result(self) -> RunResult:
        """The drill's result: the replay's own when it reached the horizon, else the
        preview's, after checking that the replay recorded the same events so far."""
        if self.events != list(self.preview.timeline[:len(self.events)]):
            raise SimulationError("the replay diverged from the simulated drill (an engine bug)")
        if self.done and self.stop_s >= self.horizon_s:
            return self.drill.result()
        return self.preview


@dataclass
class Controls:
    """What the keys asked for; `quit` ends the replay."""

    quit: bool = False

    def apply(self, keys: str, clock: Clock) -> None:
        for key in keys:
            if key in "qQ":
                self.quit = True
            elif key == " ":
                clock.toggle_pause()
            elif key in "+=":
                clock.set_speed(clock.speed * 2)
            elif key in "-_":
                clock.set_speed(clock.speed / 2)


def play(replay: Replay, clock: Clock, on_events: Callable[[list[Event]], None],
         on_frame: Callable[[float], None] | None = None,
         keys: Callable[[], str] | None = None, skip_quiet: float = 10.0,
         frame_s: float = 0.1, controls: Controls | None = None,
         on_skip: Callable[[float], None] | None = None,
         sleep: Callable[[float], None] = time.sleep) -> bool:
    """Run the replay loop to the end; False when the user quit first.

    Each turn: read keys, process what is due, show it, skip a long quiet stretch ahead, then
    sleep until the next event or the next frame, whichever comes first.
    """
    controls = controls or Controls()
    while True:
        if keys is not None:
            controls.apply(keys(), clock)
            if controls.quit:
                return False
        now = clock.now()
        new = replay.advance(now)
        if new:
            on_events(new)
        if on_frame is not None:
            on_frame(min(now, replay.stop_s))
        if replay.done and now >= replay.stop_s:
            return True
        upcoming = replay.next_event_s()
        if skip_quiet > 0 and not clock.paused and clock.speed > 0 \
                and (upcoming - now) / clock.speed > skip_quiet:
            target = upcoming - clock.speed * min(1.0, skip_quiet)
            clock.jump(target)
            if on_skip is not None:
                on_skip(target - now)
        wait = clock.real_s_until(upcoming)
        sleep(min(wait, frame_s) if on_frame is not None or keys is not None else wait)


@contextmanager
def terminal_keys(stream: TextIO) -> Iterator[Callable[[], str]]:
    """Read keys without blocking: the terminal in cbreak mode (no echo, no line buffering,
    Ctrl-C still interrupts), restored on the way out whatever happens. Off a terminal (or
    without termios) no key is ever read."""
    try:
        import termios
        import tty
    except ImportError:  # not a POSIX terminal
        yield lambda: ""
        return
    if not stream.isatty():
        yield lambda: ""
        return
    fd = stream.fileno()
    saved = termios.tcgetattr(fd)

    def read() -> str:
        got = b""
        while select.select([fd], [], [], 0)[0]:
            chunk = os.read(fd, 64)
            if not chunk:
                break
            got += chunk
        return got.decode(errors="ignore")

    try:
        tty.setcbreak(fd)
        yield read
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


# ---- the live board ------------------------------------------------------------------------


@dataclass
class StepState:
    name: str
    who: str
    start_s: float
    end_s: float | None = None
    outcome: str = ""


@dataclass
class Board:
    """The terminal board: clock, sites and links, customer groups, steps, event feed."""

    replay: Replay
    clock: Clock
    feed_size: int = 12
    feed: deque[Event] = field(init=False)
    steps: dict[str, StepState] = field(default_factory=dict)
    note: str = ""
    note_until: float = 0.0

    def __post_init__(self) -> None:
        self.feed = deque(maxlen=self.feed_size)

    def take(self, events: Iterable[Event]) -> None:
        for e in events:
            self.feed.append(e)
            if e.kind == "step_start":
                self.steps[e.subject] = StepState(e.subject, e.detail, e.time_s)
            elif e.kind == "step_end" and e.subject in self.steps:
                st = self.steps[e.subject]
                st.end_s, st.outcome = e.time_s, e.detail

    def skipped(self, span_s: float) -> None:
        self.note = f"skipped {format_duration(span_s)} of quiet"
        self.note_until = time.monotonic() + 2.0

    def wall(self, t_s: float) -> datetime:
        return wall_clock(self.replay.origin, t_s)

    def render(self, now_s: float, finished: bool = False,
               console: Console | None = None) -> RenderableType:
        """The board at now_s; given a console, the feed is shortened to fit its height."""
        top = Group(self._header(now_s, finished), self._state(), self._steps(now_s))
        rows = self.feed_size
        if console is not None:
            used = len(console.render_lines(top, console.options, pad=False))
            rows = min(rows, console.height - used - 4)  # feed title, head, rule; key line
        return Group(top, self._feed(rows),
                     Text("space pause/resume · + faster · - slower · q quit", style="dim"))

    def _header(self, now_s: float, finished: bool) -> Text:
        sc, clock = self.replay.scenario, self.clock
        head = Text(sc.name, style="bold")
        state = ("finished" if finished else "PAUSED" if clock.paused else "running")
        speed = "as fast as possible" if clock.speed == 0 else (
            f"×{clock.speed:g} ({format_duration(clock.speed)} per second)")
        head.append(f"\nclock {self.wall(now_s):%a %d %b %Y %H:%M:%S %Z}", style="bold cyan")
        head.append(f"   T+{format_duration(max(0.0, now_s))}   speed {speed}   ")
        head.append(state, style="bold yellow" if clock.paused else "green")
        if self.note and time.monotonic() < self.note_until:
            head.append(f"   {self.note}", style="magenta")
        return head

    def _state(self) -> Table:
        world, sc = self.replay.drill.world, self.replay.scenario
        elements = _table("Sites and links")
        for col in ("element", "state", "components down"):
            elements.add_column(col)
        for sid in sorted(sc.sites):
            broken = [f"{c} {n}/{sc.sites[sid].components[c].count}"
                      for (s, c), n in sorted(world.units_down.items()) if s == sid]
            elements.add_row(Text(f"site {sid}"), _updown(world.site_up(sid)),
                             Text(", ".join(broken), style="yellow"))
        for lid in sorted(sc.links):
            elements.add_row(Text(f"link {lid}"), _updown(world.link_up(lid)), Text(""))
        services = sorted({s for g in sc.customers.values() for s in g.services})
        groups = _table("Customer groups")
        groups.add_column("group")
        groups.add_column("customers", justify="right")
        for svc in services:
            groups.add_column(Text(svc))
        for g in world.groups_by_priority:
            grp = sc.customers[g]
            cells = [_served(world.serving.get((g, svc), "?"), grp.home)
                     if svc in grp.services else Text("") for svc in services]
            groups.add_row(Text(g), f"{grp.count:,}", *cells)
        grid = Table.grid(padding=(0, 2))
        grid.add_row(elements, groups)
        return grid

    def _steps(self, now_s: float) -> Table:
        table = _table("Runbook steps")
        for col in ("step", "who", "started", "state"):
            table.add_column(col)
        for st in list(self.steps.values())[-8:]:
            if st.end_s is None:
                state = Text(f"running {format_duration(max(0.0, now_s - st.start_s))}",
                             style="bold yellow")
            else:
                state = Text(f"{st.outcome} at {self.wall(st.end_s):%H:%M}",
                             style="green" if st.outcome == "ok" else "red")
            table.add_row(Text(st.name), Text(st.who), f"{self.wall(st.start_s):%a %H:%M}", state)
        if not self.steps:
            table.add_row(Text("no runbook has started", style="dim"), "", "", "")
        return table

    def _feed(self, rows: int) -> Table:
        table = _table("Events")
        for col in ("when", "what", "subject", "detail"):
            table.add_column(col)
        for e in list(self.feed)[-rows:] if rows > 0 else []:
            table.add_row(f"{self.wall(e.time_s):%a %H:%M:%S}", e.kind.replace("_", " "),
                          Text(e.subject), Text(e.detail))
        return table


def _table(title: str) -> Table:
    return Table(title=title, title_justify="left", title_style="bold", box=box.SIMPLE_HEAD,
                 show_edge=False, pad_edge=False)


def _updown(up: bool) -> Text:
    return Text("up", style="green") if up else Text("DOWN", style="bold red")


def _served(site: str | None, home: str) -> Text:
    if site is None:
        return Text("DOWN", style="bold red")
    if site == "?":
        return Text("…", style="dim")
    return Text(site, style="green" if site == home else "yellow")
