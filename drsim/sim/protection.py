"""Data protection in tiers: which copies of a service's data exist at an instant, which one a
restore uses, how long the restore takes and how much data it loses.

A copy's *newest write* is the instant its data stops: a sync replica holds every write up to
the failure, an async one lags behind by a draw of its lag, a snapshot or backup holds the data
as of its start and is usable only once finished (a failure during a run leaves the previous
finished copy the newest), an ad-hoc copy holds the data of its `taken_at`. Data lost is the
failure (or corruption) instant minus the newest write of the copy used.

Every random verdict is drawn once per copy and kept, so a retried restore meets the same
broken backup again, and the loss recorded at a restore and at a customer move agree. Each
comes from a stream keyed by what it is about (`protection:<svc>.<tier>.lag@<failure instant>`,
`.unusable@<newest write>`, `.takes@<start>`), so a variant that meets the same failure or
copy meets the same draw, whatever else it did before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from drsim.calendar import parse_days, sim_seconds, wall_clock
from drsim.scenario.schema import Scenario, Tier
from drsim.sim.streams import Streams

if TYPE_CHECKING:
    import numpy as np

    from drsim.sim.world import World

MAX_LOOKBACK = 5000  # scheduled copies examined back from a failure before giving up


@dataclass
class Choice:
    """The copy a restore (or a failover) uses, and what trying the others cost."""

    tier: Tier | None  # None: no usable copy
    age_s: float | None  # failure instant − newest write in the copy
    discovery_s: float = 0.0  # time spent finding copies unusable
    notes: list[str] = field(default_factory=list)  # why each tier was passed over
    waiting: bool = False  # some tier was passed over only because its site is down

    def lost_s(self, failed_s: float) -> float:
        """Data lost: everything since the start of the run when there was no copy."""
        return self.age_s if self.age_s is not None else failed_s


class Protection:
    """Schedules, newest usable copy, data lost and restore time for every service's tiers."""

    def __init__(self, scenario: Scenario, streams: Streams) -> None:
        self.sc, self.streams = scenario, streams
        self.origin = scenario.simulation.origin
        self._age: dict[tuple[str, str, float], float | None] = {}
        self._unusable: dict[tuple[str, str, float], bool] = {}
        self.discovered: set[tuple[str, str, float]] = set()

    def stream(self, svc: str, tier: Tier, what: str) -> np.random.Generator:
        """Each tier's own stream per purpose (lag, unusable, discovery, restore), the
        legacy `replication` tier's too."""
        return self.streams(f"protection:{svc}.{tier.id}.{what}")

    # ---- what a copy holds ------------------------------------------------------------------

    def age_s(self, svc: str, tier: Tier, failed_s: float) -> float | None:
        """How old the tier's copy is at `failed_s` (failure − its newest write); None: no
        finished copy yet. Kept as an age, not an instant, so a lag is returned exactly."""
        key = (svc, tier.id, failed_s)
        if key not in self._age:
            self._age[key] = self._age_s(svc, tier, failed_s)
        return self._age[key]

    def _age_s(self, svc: str, tier: Tier, failed_s: float) -> float | None:
        if tier.kind == "replica":
            if tier.mode == "sync":
                return 0.0
            assert tier.lag is not None
            # keyed by the failure instant: a variant that meets this failure meets this lag
            return tier.lag.sample(self.stream(svc, tier, f"lag@{failed_s!r}"))
        if tier.kind == "adhoc":
            assert tier.taken_at is not None
            start = sim_seconds(self.origin, datetime.fromisoformat(tier.taken_at)
                                .replace(tzinfo=self.origin.tzinfo))
            return failed_s - start if start + self.takes_s(svc, tier, start) <= failed_s \
                else None
        every = tier.schedule.every if tier.schedule else None
        for n, start in zip(range(MAX_LOOKBACK), self.starts_before(tier, failed_s),
                            strict=False):
            if start + self.takes_s(svc, tier, start) <= failed_s:
                # fmod is exact: the age of the copy n periods before the latest one
                return failed_s % every + n * every if every else failed_s - start
        return None

    def takes_s(self, svc: str, tier: Tier, start_s: float) -> float:
        """How long the copy started at `start_s` took (one draw per copy, its own stream)."""
        if tier.takes is None:
            return 0.0
        if tier.takes.is_fixed:
            return tier.takes.mean
        return tier.takes.sample(self.streams(f"protection:{svc}.{tier.id}.takes@{start_s:.0f}"))

    def starts_before(self, tier: Tier, t_s: float) -> Iterator[float]:
        """Start instants of scheduled copies at or before `t_s`, newest first. `every`
        counts from the start of the run; clock times also ran before it (steady state)."""
        sched = tier.schedule
        assert sched is not None
        if sched.every is not None:
            k = int(t_s // sched.every)
            for i in range(k, -1, -1):
                yield i * sched.every
            return
        assert sched.at is not None
        days, tz = parse_days(sched.days), ZoneInfo(self.sc.simulation.timezone)
        clocks = sorted((time.fromisoformat(a) for a in sched.at), reverse=True)
        today = wall_clock(self.origin, t_s).date()
        for back in range(MAX_LOOKBACK):
            day = today - timedelta(days=back)
            if day.weekday() not in days:
                continue
            for clock in clocks:
                s = sim_seconds(self.origin, datetime.combine(day, clock, tzinfo=tz))
                if s <= t_s:
                    yield s

    def unusable(self, svc: str, tier: Tier, written_s: float) -> bool:
        """Is this copy silently broken? Drawn once per copy (0 and 1 draw nothing)."""
        key = (svc, tier.id, written_s)
        if key not in self._unusable:
            p = tier.unusable
            self._unusable[key] = p >= 1.0 or (
                p > 0.0 and bool(self.stream(svc, tier, f"unusable@{written_s!r}").random() < p))
        return self._unusable[key]

    # ---- choosing a copy ----------------------------------------------------------------------

    def choose(self, svc: str, failed_s: float, order: list[str] | None,
               unavailable: Callable[[Tier], str | None], probe: bool = True) -> Choice:
        """The first usable copy: in `order` (tier ids) or newest write first. Tiers whose
        site is down are passed over; an unusable copy costs its discovery time the first
        time a restore finds it (later attempts already know it is broken). `probe=False`
        only asks which copy the data would come from (a failover's loss): nobody tried a
        restore, so nothing is found out and no discovery time is spent."""
        tiers = {t.id: t for t in self.sc.services[svc].tiers}
        if order is not None:
            ranked = [tiers[i] for i in order]
        else:
            ranked = sorted(tiers.values(), key=lambda t: -self._rank(svc, t, failed_s))
        got = Choice(None, None)
        for tier in ranked:
            why = unavailable(tier)
            age = self.age_s(svc, tier, failed_s)
            if why is None and age is None:
                why = "no finished copy before the failure"
            if why is not None:
                got.notes.append(f"{tier.id}: {why}")
                got.waiting = got.waiting or why.endswith("is down")
                continue
            assert age is not None
            written = round(failed_s - age, 3)  # the copy's identity: its newest write
            if self.unusable(svc, tier, written):
                if not probe:
                    got.notes.append(f"{tier.id}: copy unusable")
                    continue
                key = (svc, tier.id, written)
                found_s = 0.0 if key in self.discovered else self.discovery_s(svc, tier)
                self.discovered.add(key)
                got.discovery_s += found_s
                got.notes.append(f"{tier.id}: copy found unusable after {found_s:.0f}s")
                continue
            got.tier, got.age_s = tier, age
            return got
        return got

    def _rank(self, svc: str, tier: Tier, failed_s: float) -> float:
        age = self.age_s(svc, tier, failed_s)
        return float("-inf") if age is None else -age

    def discovery_s(self, svc: str, tier: Tier) -> float:
        if tier.discovery is None:
            return 0.0
        return tier.discovery.sample(self.stream(svc, tier, "discovery"))

    def restore_s(self, svc: str, tier: Tier, bps: float | None) -> float:
        """Restore time: size ÷ the tier's throughput, its duration draw, or size ÷ the
        bottleneck bandwidth `bps` from the tier's site (0 when it is the target itself)."""
        size = self.sc.services[svc].data_size
        assert size is not None
        if tier.restore is not None and tier.restore.throughput is not None:
            return size / tier.restore.throughput
        if tier.restore is not None and tier.restore.duration is not None:
            return tier.restore.duration.sample(self.stream(svc, tier, "restore"))
        return 0.0 if bps is None else size * 8.0 / bps


# ---- the world's side: availability, failure instant, restore plans, losses ------------------


@dataclass
class RestorePlan:
    """What one restore effect will do: where its data comes from and how long it takes."""

    service: str
    target: str
    failed_s: float  # the failure (or corruption) instant the restore recovers from
    failed_site: str  # whose data was lost
    source: str | None  # site the data travels from; None: no usable copy
    choice: Choice | None  # None: a live copy from a healthy active site
    time_s: float = 0.0  # discovery of unusable copies + the restore itself
    wait: str = ""  # non-empty: not ready yet, and why
    overwrites_live: bool = False  # the target already serves whole data: nothing is lost

    def detail(self) -> str:
        if self.choice is None:
            return f"from the live copy at {self.source} (nothing lost)"
        passed = f"; passed over {', '.join(self.choice.notes)}" if self.choice.notes else ""
        if self.choice.tier is None:
            return f"failed: no usable copy{passed}"
        return f"from {self.choice.tier.id} at {self.source}{passed}"


def unavailable(world: World, svc: str, tier: Tier, reading: bool = True) -> str | None:
    """Why the tier cannot be used now: its replica is corrupted, or (when the copy is
    `reading`, i.e. read by a restore) its site is down."""
    if reading and not world.site_up(tier.at):
        return f"site {tier.at} is down"
    if tier.kind == "replica" and (svc, tier.at) in world.corrupted:
        return f"the data at {tier.at} is corrupted"
    return None


def failure_of(world: World, svc: str, target: str) -> tuple[float, str]:
    """The instant writes stopped reaching the data a restore to `target` replaces: its
    corruption, else the latest of the service's sites to go down (now if none did)."""
    if (svc, target) in world.corrupted:
        return world.corrupted[svc, target], target
    downs = [(world.unhealthy_since[svc, s], s) for s in world.places[svc]
             if (svc, s) in world.unhealthy_since and not world.healthy_at.get((svc, s))]
    return max(downs, default=(world.env.now, target))


def plan_restore(world: World, svc: str, target: str, order: list[str] | None) -> RestorePlan:
    """The copy a restore to `target` uses and its time: a healthy active site's live data
    first (loses nothing), else the first usable tier (`order`, or newest write first)."""
    down = world.down_set()
    live = sorted(s for s in world.active[svc]
                  if s != target and world.healthy_at[svc, s])
    failed_s, failed_site = failure_of(world, svc, target)
    plan = RestorePlan(svc, target, failed_s, failed_site, None, None,
                       overwrites_live=world.healthy_at.get((svc, target), False))
    if live:
        plan.source = live[0]
        bps = world.topo.bottleneck_bps(live[0], target, down)
        if bps is None:
            plan.wait = f"no network path from {live[0]} to {target}"
        else:
            plan.time_s = world.protection.restore_s(svc, _NETWORK, bps)
        return plan
    prot = world.protection
    plan.choice = got = prot.choose(svc, failed_s, order, lambda t: unavailable(world, svc, t))
    plan.time_s = got.discovery_s
    if got.tier is None:
        plan.wait = "every copy's site is down" if got.waiting else ""
        return plan
    plan.source = got.tier.at
    bps = None if got.tier.at == target else world.topo.bottleneck_bps(got.tier.at, target, down)
    if bps is None and got.tier.at != target and got.tier.restore is None:
        plan.wait = f"no network path from {got.tier.at} to {target}"
        return plan
    plan.time_s += prot.restore_s(svc, got.tier, bps)
    return plan


def finish_restore(world: World, plan: RestorePlan) -> None:
    """The restore is done: the target's data is whole again and what it lost is booked."""
    world.data_restored(plan.service, plan.target)
    if plan.choice is None or plan.choice.tier is None or plan.overwrites_live:
        return
    lost = plan.choice.lost_s(plan.failed_s)
    world.book_loss(plan.service, plan.failed_site, plan.target, plan.failed_s, lost,
                    f"restore to {plan.target} from {plan.choice.tier.id} lost {lost:.0f}s "
                    "of writes")


def failover_loss(world: World, svc: str, failed_s: float) -> tuple[float, str]:
    """Data lost when customers move off a failed site with no restore booked for it: the
    newest usable copy's, wherever it is now (the new site was seeded from it before; a
    service without copies is stateless and loses nothing)."""
    if not world.sc.services[svc].tiers:
        return 0.0, ""
    got = world.protection.choose(svc, failed_s, None,
                                  lambda t: unavailable(world, svc, t, reading=False),
                                  probe=False)
    if got.tier is None:
        return got.lost_s(failed_s), " (no usable copy: all data since the start)"
    return got.lost_s(failed_s), "" if got.tier.id == "replication" else f" (from {got.tier.id})"


_NETWORK = Tier.model_construct(id="network", kind="replica", at="", restore=None)
