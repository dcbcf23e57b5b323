"""Why, in words: the engine's cause chains (RunResult.whys, .pending) joined into answers.

"Why was group G down at T": the services it lacked at T and, for each, the chain the
service rule gave (down elements, full sites and who was ahead by priority), each down
component followed to its repair's wait (spare, person, access, power); then the runbook
steps that would bring the group back and what they wait for (predecessors followed to the
step actually waiting: its window, precondition, person or restore). "Why did step S start
late": the same chain for S over its whole wait. Built from results only, never by
simulating; the scenario (optional) says which steps would help which group.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from drsim.recorder import Cause, StepRecord, Why
from drsim.result import RunResult
from drsim.scenario.schema import Effect, Scenario
from drsim.sim.runbook import STARTS
from drsim.units import format_duration

UNTIL = {"window": "opens", "spare": "next delivery due", "callout": "arrives"}
WAITS = ("after", "window", "condition")  # causes that read "waits for ..."


@dataclass
class Explainer:
    """Answers about one run; `scenario` lets group answers name the steps that would help."""

    result: RunResult
    scenario: Scenario | None = None

    def __post_init__(self) -> None:
        self.records: dict[str, StepRecord] = {}
        for rec in self.result.steps:
            self.records.setdefault(f"{rec.runbook}.{rec.step}", rec)
        self.whys: dict[str, list[Why]] = {}  # by subject, in time order
        for w in self.result.whys:
            self.whys.setdefault(w.subject, []).append(w)

    # ---- one cause, in words -------------------------------------------------------------

    def clock(self, t_s: float) -> str:
        return self.result.wall(t_s).strftime("%a %H:%M")

    def say(self, cause: Cause) -> str:
        text = f"waits for {cause.detail}" if cause.kind in WAITS else cause.detail
        if cause.until_s is not None:
            text += f" ({UNTIL.get(cause.kind, 'until')} {self.clock(cause.until_s)})"
        if cause.since_s is not None and cause.kind not in ("after", "staff", "callout"):
            text += f" since {self.clock(cause.since_s)}"
        return text

    def at(self, subject: str, what: str, t_s: float) -> Why | None:
        """The reason `subject` lacked `what` at t_s, if it did."""
        return next((w for w in self.whys.get(subject, ()) if w.what == what
                     and w.start_s <= t_s and (w.end_s is None or t_s < w.end_s)), None)

    def repairs(self, prefix: str, t_s: float) -> list[str]:
        """What repairs of components at `prefix` ('site.comp' or 'site.') wait for at t_s;
        units waiting for the same thing are told together."""
        units: dict[tuple[str, str], list[str]] = {}
        subjects = [k for k in self.whys if k == prefix or prefix.endswith(".")
                    and k.startswith(prefix)]
        for w in (w for k in subjects for w in self.whys[k]):
            if (w.what.startswith("repair of unit ") and w.start_s <= t_s
                    and (w.end_s is None or t_s < w.end_s)):
                said = "; ".join(self.say(c) for c in w.chain)
                units.setdefault((w.subject, said), []).append(w.what.removeprefix(
                    "repair of unit "))
        return [f"repair of {name} unit{'s' if len(n) > 1 else ''} {', '.join(n)}: {said}"
                for (name, said), n in units.items()]

    def expand(self, cause: Cause, t_s: float) -> list[str]:
        """A cause and, for a down component or a site a step waits on, what its repairs
        wait for (indented lines below it)."""
        below: list[str] = []
        if cause.kind in ("component", "redundancy"):
            below = self.repairs(cause.subject, t_s)
        elif cause.kind in ("site_down", "condition") and "." not in cause.subject:
            below = self.repairs(cause.subject + ".", t_s)
        return [self.say(cause)] + [f"  {b}" for b in below]

    def inline(self, cause: Cause, t_s: float) -> str:
        """expand() on one line: 'cause (repair ...; repair ...)'."""
        first, *rest = self.expand(cause, t_s)
        return first + (f" ({'; '.join(r.strip() for r in rest)})" if rest else "")

    # ---- steps ---------------------------------------------------------------------------

    def step_at(self, key: str, t_s: float, depth: int = 0) -> list[str]:
        """What step `key` is doing or waiting for at t_s, predecessors followed."""
        pad = "  " * depth
        rec = self.records.get(key)
        if rec is not None and rec.end_s <= t_s:
            return [f"{pad}{key} finished at {self.clock(rec.end_s)} ({rec.outcome})"]
        if rec is not None and rec.start_s <= t_s:
            return [f"{pad}{key} at work since {self.clock(rec.start_s)}"]
        why = self.at(key, "start", t_s) or self.at(key, "restore", t_s)
        if why is None:
            pend = next((p for p in self.result.pending if f"{p.runbook}.{p.step}" == key
                         and p.since_s <= t_s), None)
            if pend is not None and pend.state == "working":
                return [f"{pad}{key} at work since {self.clock(pend.since_s)}"]
            return [f"{pad}{key} not started"]
        lines = [f"{pad}{key} {self._waits(why)} since {self.clock(why.start_s)}:"]
        for c in why.chain:
            if c.kind == "after" and depth < 8:
                lines.extend(self.step_at(c.subject, t_s, depth + 1))
            else:
                lines.extend(f"{pad}  {x}" for x in self.expand(c, t_s))
        return lines

    @staticmethod
    def _waits(why: Why) -> str:
        return "waits to restore data" if why.what == "restore" else "waits to start"

    def frontier(self, key: str, t_s: float) -> Iterator[tuple[str, Why | None]]:
        """The steps `key` is held up by at t_s, through its unfinished predecessors: those
        waiting for something other than a step (or at work)."""
        why = self.at(key, "start", t_s) or self.at(key, "restore", t_s)
        after = [c for c in why.chain if c.kind == "after"] if why else []
        if why is not None and after and len(after) == len(why.chain):
            for c in after:
                yield from self.frontier(c.subject, t_s)
        else:
            yield key, why

    def step(self, key: str) -> list[str]:
        """Why step `key` started when it did (or never did), over its whole wait."""
        waits = self.whys.get(key, [])
        rec = self.records.get(key)
        lines = []
        if rec is not None:
            lines.append(f"{key}: {rec.outcome}; started {self.clock(rec.start_s)}, ended "
                         f"{self.clock(rec.end_s)}")
        else:
            pend = next((p for p in self.result.pending if f"{p.runbook}.{p.step}" == key),
                        None)
            state = pend.state if pend else "never started"
            lines.append(f"{key}: {state} at the horizon" + (f" ({pend.detail})"
                                                             if pend and pend.detail else ""))
        for w in waits:
            end = self.clock(w.end_s) if w.end_s is not None else "the horizon"
            lines.append(f"  {self.clock(w.start_s)}–{end} {self._waits(w)}:")
            for c in w.chain:
                if c.kind == "after" and rec is None:  # still waiting: as things stood then
                    lines.append(f"    {self.say(c)}")
                    lines.extend("    " + x for x in self.step_at(c.subject, w.start_s, 1))
                else:
                    lines.extend(f"    {x}" for x in self.expand(c, w.start_s))
        before = self.path(key)[:-1] if rec is not None else []
        if before:  # what its predecessors spent the time on, along the critical path
            lines.append("  the steps before it that set its start:")
            lines.extend(f"    {self.leg(r)}" for r in before)
        if len(lines) == 1 and rec is not None:
            lines.append("  it started as soon as it was ready: nothing held it up")
        return lines

    def leg(self, rec: StepRecord) -> str:
        """'step 10:58–11:09 (waited 20m: window ..., then ...)': one step of a path."""
        text = f"{rec.runbook}.{rec.step} {self.clock(rec.start_s)}–{self.clock(rec.end_s)}"
        waits = dict.fromkeys(self.say(c).removeprefix("waits for ")
                              for w in self.whys.get(f"{rec.runbook}.{rec.step}", ())
                              for c in w.chain if c.kind != "after")
        if rec.waited_s > 0 and waits:
            text += f" (waited {format_duration(rec.waited_s)}: {', then '.join(waits)})"
        return text

    # ---- customer groups -----------------------------------------------------------------

    def helps(self, group: str) -> list[str]:
        """Steps whose effects would bring `group` back (move it, place or restore one of its
        services, rebuild what it uses at home), in runbook order."""
        if self.scenario is None:
            return []
        grp = self.scenario.customers[group]
        return [f"{rid}.{s.id}" for rid, book in self.scenario.runbooks.items()
                for s in book.steps if any(_concerns(e, group, grp.home, grp.services)
                                           for e in s.effects)]

    def remedies(self, group: str, t_s: float) -> list[str]:
        """What the steps that would help `group` are held up by at t_s."""
        out: list[str] = []
        seen: set[str] = set()
        for key in self.helps(group):
            rec = self.records.get(key)
            if rec is not None and rec.end_s <= t_s:
                continue
            for leaf, why in self.frontier(key, t_s):
                if leaf in seen:
                    continue
                seen.add(leaf)
                if why is not None:
                    out.append(f"{leaf} {'; '.join(self.say(c) for c in why.chain)}")
                else:
                    out.extend(self._not_started(leaf.split(".", 1)[0], t_s)
                               or [self.step_at(leaf, t_s)[0]])
        return list(dict.fromkeys(out))

    def _not_started(self, rid: str, t_s: float) -> list[str]:
        """'runbook R had not started (it starts when ...; it did at ...)', unless it had."""
        state, began = False, None
        for e in self.result.timeline:
            if e.subject == rid and e.kind in ("runbook_start", "runbook_end"):
                if e.time_s > t_s:
                    began = e.time_s if e.kind == "runbook_start" else None
                    break
                state = e.kind == "runbook_start"
        if state:
            return []
        pend = next((p for p in self.result.pending if p.runbook == rid and not p.step), None)
        trig = self.scenario.runbooks[rid].trigger if self.scenario else None
        how = (STARTS[trig] if isinstance(trig, str) else f"when runbook {trig.after} completes"
               if trig is not None else "")
        when = (f"; it did at {self.clock(began)}" if began is not None
                else "; not by the horizon" if pend else "")
        return [f"runbook {rid} had not started" + (f" (it starts {how}{when})" if how
                                                    else "")]

    def group(self, group: str, t_s: float) -> list[str]:
        """Why `group` lacked service (or full recovery) at t_s."""
        whys = [w for w in self.whys.get(group, ()) if w.start_s <= t_s
                and (w.end_s is None or t_s < w.end_s)]
        lacking = [w for w in whys if w.what != "full"]
        when = self.clock(t_s)
        if not whys:
            return [f"{group} had full service at {when}."]
        head = (f"{group} lacked {', '.join(w.what for w in lacking)} at {when}:" if lacking
                else f"{group} had service at {when} but was not fully recovered:")
        lines = [head]
        for w in lacking or whys:
            lines.append(f"  {w.what} (since {self.clock(w.start_s)}):")
            for c in w.chain:
                lines.extend(f"    {x}" for x in self.expand(c, t_s))
        fixes = self.remedies(group, t_s)
        if fixes:
            lines.append("  what would bring it back, and what that waits for:")
            lines.extend(f"    {x}" for x in fixes)
        return lines

    def outages(self) -> list[str]:
        """For the story: each spell a group had no basic service, and why, phase by phase."""
        lines = []
        for iv in self.result.intervals:
            if iv.what != "basic":
                continue
            end = iv.end_s if iv.end_s is not None else self.result.horizon_s
            till = self.clock(iv.end_s) if iv.end_s is not None else "the horizon"
            lines.append(f"{iv.subject} had no basic service from {self.clock(iv.start_s)} to "
                         f"{till} ({format_duration(end - iv.start_s)}):")
            for w in self._phases(iv.subject, iv.start_s, end):
                causes = "; ".join(self.inline(c, w.start_s) for c in w.chain)
                line = f"  from {self.clock(w.start_s)}, {w.what}: {causes}"
                fixes = self.remedies(iv.subject, w.start_s)
                if fixes:
                    line += f"; waiting on {fixes[0]}"
                lines.append(line)
            back = self.brought_back(iv.subject, iv.end_s) if iv.end_s is not None else None
            if back is not None:
                lines.append(f"  {back}")
        return lines

    def path(self, key: str) -> list[StepRecord]:
        """The steps that set when `key` finished: back from it, each time through the
        predecessor that finished last (the critical path), first step first."""
        out: list[StepRecord] = []
        while key not in {f"{r.runbook}.{r.step}" for r in out}:
            rec = self.records.get(key)
            if rec is None or self.scenario is None:
                break
            out.append(rec)
            book = self.scenario.runbooks[rec.runbook]
            after = next((s.after for s in book.steps if s.id == rec.step), [])
            done = [self.records[k] for k in (f"{rec.runbook}.{a}" for a in after)
                    if k in self.records]
            if not done:
                break
            last = max(done, key=lambda r: r.end_s)
            key = f"{last.runbook}.{last.step}"
        return out[::-1]

    def brought_back(self, group: str, t_s: float) -> str | None:
        """'back when K finished at T; its path: a 10:58–11:09, b ... (waited 20m: ...)' for
        the step whose effect gave `group` service again at t_s."""
        key = next((k for k in self.helps(group) if k in self.records
                    and self.records[k].end_s == t_s), None)
        if key is None:
            up = [f"{e.subject} was up again" + (f" ({e.detail})" if e.detail else "")
                  for e in self.result.timeline if e.time_s == t_s
                  and e.kind in ("component_up", "site_up", "link_up")]
            return f"back at {self.clock(t_s)} when {'; '.join(up)}" if up else None
        legs = [self.leg(rec) for rec in self.path(key)]
        return f"back when {key} finished at {self.clock(t_s)}; the steps that set that: " + \
            ", ".join(legs)

    def _phases(self, group: str, start_s: float, end_s: float) -> list[Why]:
        """The group's service reasons within [start_s, end_s), one per change of reason."""
        out, seen = [], set()
        for w in self.whys.get(group, ()):
            if (w.what != "full" and w.start_s < end_s
                    and (w.end_s is None or w.end_s > start_s)):
                if (w.start_s, w.chain) not in seen:
                    seen.add((w.start_s, w.chain))
                    out.append(w)
        return out

    def unfinished(self) -> list[str]:
        """Steps not done at the horizon, each with why."""
        lines = []
        for p in self.result.pending:
            if not p.step:
                lines.append(f"runbook {p.runbook} never started: {p.detail}")
                continue
            key = f"{p.runbook}.{p.step}"
            if p.state == "working":
                lines.append(f"{key} still at work (since {self.clock(p.since_s)})")
                continue
            why = self.at(key, "start", self.result.horizon_s)
            said = "; ".join(self.say(c) for c in why.chain) if why else "its turn had not come"
            lines.append(f"{key} never started (ready since {self.clock(p.since_s)}): {said}")
        return lines


def _concerns(effect: Effect, group: str, home: str, services: list[str]) -> bool:
    if effect.move is not None:
        return effect.move.groups == "all" or group in effect.move.groups
    placed = effect.activate or effect.restore
    if placed is not None:
        return placed.service in services
    if effect.rebuild is not None:
        return effect.rebuild.site == home
    return False
