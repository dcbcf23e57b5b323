"""Paging: who is paged on an alert, escalation while nobody acknowledges, who answers.

At the alert every role in `detection.page` and the first escalation level are paged at
once. A page reaches one person of the role: the first on shift in any of the role's rotas,
else the role's first person (called out unless already called in). A
paged person answers with probability `answers`, after the ack-delay draw plus their call-out
when off shift; each role's pages draw from their own streams (`paging:<role>:ack`,
`paging:<role>:answers`; `paging:ack` when nobody is paged), so paging one role more or
less often leaves every other role's draws as they were. The first answer is the
acknowledgement. While nobody has acknowledged, a level's timeout pages the next level; after
a last level that has a timeout the policy starts over at level 1 (paging tools repeat).
While a service that paging requires is down everywhere, an escalation page goes out only
after a `degraded_delay` draw (someone phones round instead).
"""

from __future__ import annotations

from collections.abc import Callable, Generator

import simpy

from drsim.scenario.schema import Detection
from drsim.sim.staff import Staff
from drsim.sim.streams import Streams
from drsim.sim.world import Incident, World

Level = tuple[list[str], float | None, float]  # roles paged together, time to answer, P(answer)


class Pager:
    """Pages people for one trial's incidents and waits for the first acknowledgement."""

    def __init__(self, env: simpy.Environment, world: World, detection: Detection, staff: Staff,
                 streams: Streams,
                 degraded: Callable[[], Generator[simpy.Event, object, None]]) -> None:
        self.env, self.world, self.det, self.staff = env, world, detection, staff
        self.streams, self.degraded = streams, degraded
        self.levels = self.policy(detection)

    @staticmethod
    def policy(det: Detection) -> list[Level]:
        """The levels in order: `page` roles join the first escalation level."""
        page = det.page_roles
        if not det.escalation:
            return [(page, None, det.answers)] if page else []
        first, *rest = det.escalation
        level1 = page + [first.role] if first.role not in page else page
        return [(lv_roles, lv.timeout, det.answers if lv.answers is None else lv.answers)
                for lv_roles, lv in [(level1, first)] + [([lv.role], lv) for lv in rest]]

    def acknowledge(self, incident: Incident) -> Generator[simpy.Event, object, str | None]:
        """Process helper: page level by level until someone answers. Returns who answered
        ('' when nobody is paged: the ack delay alone), or None if the incident ended first."""
        if not self.levels:
            yield self.env.timeout(self.det.ack_delay.sample(self.streams("paging:ack")))
            return None if incident.end_s is not None else ""
        acked, level = self.env.event(), 0
        while True:
            if level > 0:
                yield from self.degraded()
            roles, timeout_s, answers = self.levels[level]
            for role in roles:
                self.page(role, level, answers, acked)
            yield acked if timeout_s is None else acked | self.env.timeout(timeout_s)
            if acked.triggered or incident.end_s is not None:
                break
            assert timeout_s is not None  # a level without timeout waits for its answer
            level = self.escalate(level, timeout_s)
        return str(acked.value) if acked.triggered and incident.end_s is None else None

    def escalate(self, level: int, timeout_s: float) -> int:
        nxt = (level + 1) % len(self.levels)
        again = " (the policy starts over)" if nxt == 0 else ""
        self.world.rec.event(self.env.now, "escalated", f"level {nxt + 1}",
                             f"nobody acknowledged within {timeout_s / 60:g} min of "
                             f"paging level {level + 1}; paging "
                             f"{', '.join(self.levels[nxt][0])}{again}")
        return nxt

    def page(self, role: str, level: int, p_answer: float, acked: simpy.Event) -> None:
        """Page one person of `role`; schedule their answer, if they answer at all."""
        delay = self.det.ack_delay.sample(self.streams(f"paging:{role}:ack"))
        crew = self.staff.crews[role]
        person = crew.first_ready()
        self.world.rec.event(self.env.now, "paged", person,
                             f"escalation level {level + 1}" if self.det.escalation else "")
        answers = p_answer >= 1.0 or bool(self.streams(f"paging:{role}:answers").random()
                                          < p_answer)
        if not answers:
            self.world.rec.event(self.env.now, "page_unanswered", person,
                                 f"does not answer this page (answers {p_answer:.0%})")
            return
        delay += crew.arrival_delay_s(person)

        def answer(_: object) -> None:
            if not acked.triggered:
                acked.succeed(person)

        self.env.timeout(delay).callbacks.append(answer)
