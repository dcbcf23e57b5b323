"""The scenario format v1: pydantic models are the one source of field, type, unit, default, doc.

Values arrive already parsed from YAML (see loader); unit strings are resolved here, through
the parsers in units.py and distributions.py, so a Scenario holds floats in seconds, bits per
second and bytes. Cross-references between sections are checked in validate.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PlainSerializer,
    Strict,
    StringConstraints,
    Tag,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from drsim.calendar import ALWAYS, Calendar, parse_days, parse_hours
from drsim.distributions import FAMILIES, Distribution, did_you_mean, parse_distribution
from drsim.errors import FieldValueError
from drsim.units import parse_bandwidth, parse_duration, parse_fraction, parse_size

# ---- value types -------------------------------------------------------------------------

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]*$"
Id = Annotated[str, StringConstraints(pattern=ID_PATTERN, max_length=64)]

_DURATION_SCHEMA = {"type": "string", "pattern": r"^\s*(\d+(\.\d*)?\s*[a-zA-Z]+\s*)+$",
                    "examples": ["90s", "15m", "4h", "2d"]}


def _positive(parse: Callable[[object], float], what: str) -> Callable[[object], float]:
    def check(value: object) -> float:
        x = parse(value)
        if not x > 0:
            raise ValueError(f"{what} must be > 0, got {value!r}; write a positive amount")
        return x
    return check


def _non_negative_duration(value: object) -> float:
    return parse_duration(value)


Duration = Annotated[float, BeforeValidator(_positive(parse_duration, "duration")),
                     WithJsonSchema(_DURATION_SCHEMA)]
Delay = Annotated[float, BeforeValidator(_non_negative_duration), WithJsonSchema(_DURATION_SCHEMA)]
Bandwidth = Annotated[float, BeforeValidator(_positive(parse_bandwidth, "bandwidth")),
                      WithJsonSchema({"type": "string", "examples": ["1Gbps", "10Gbps"]})]
Size = Annotated[float, BeforeValidator(_positive(parse_size, "data size")),
                 WithJsonSchema({"type": "string", "examples": ["500GB", "2TB"]})]
Probability = Annotated[float, BeforeValidator(parse_fraction),
                        WithJsonSchema({"oneOf": [{"type": "number", "minimum": 0, "maximum": 1},
                                                  {"type": "string", "pattern": r"^[0-9.]+%$"}]})]

_DIST_SCHEMA = {
    "description": "A duration ('15m') or one-key mapping naming a distribution: "
                   + ", ".join(FAMILIES),
    "oneOf": [_DURATION_SCHEMA,
              {"type": "object", "minProperties": 1, "maxProperties": 1,
               "propertyNames": {"enum": list(FAMILIES)}}],
}
_dist_serializer = PlainSerializer(lambda d: {d.family: list(d.params)}, return_type=dict)
Dist = Annotated[Distribution, BeforeValidator(parse_distribution), WithJsonSchema(_DIST_SCHEMA),
                 _dist_serializer]
DelayDist = Annotated[Distribution, BeforeValidator(lambda v: parse_distribution(v, True)),
                      WithJsonSchema(_DIST_SCHEMA), _dist_serializer]


def _parse_calendar(value: object) -> Calendar:
    if isinstance(value, Calendar):
        return value
    if value in ("24x7", "always"):
        return ALWAYS
    if value == "business_hours":
        value = {"days": "mon-fri", "hours": "09:00-17:00"}
    if not isinstance(value, dict):
        raise ValueError(f"{value!r} is not a calendar; write '24x7', 'business_hours' or "
                         "{days: mon-fri, hours: '09:00-17:00', timezone: America/New_York}")
    unknown = sorted(map(str, set(value) - {"days", "hours", "timezone"}))
    if unknown:
        bad = unknown[0]
        raise FieldValueError(f"unknown key '{bad}' in calendar"
                              f"{did_you_mean(bad, ['days', 'hours', 'timezone'])}; "
                              "known: days, hours, timezone", bad)
    if "hours" not in value:
        raise ValueError("a calendar needs hours, e.g. hours: '09:00-17:00'")
    days = _part(parse_days, value, "days", "all")
    start, end = _part(parse_hours, value, "hours")
    tz = _part(_check_timezone, value, "timezone", "")
    return Calendar(days, start, end, tz)


def _part(parse: Any, value: dict[str, Any], key: str, default: Any = None) -> Any:
    """parse(value[key]) (or the default when absent), blaming `key` for a ValueError."""
    if key not in value:
        return default
    try:
        return parse(str(value[key]))
    except ValueError as e:
        raise FieldValueError(str(e), key) from None


CalendarSpec = Annotated[
    Calendar, BeforeValidator(_parse_calendar),
    PlainSerializer(lambda c: "24x7" if c.always else {
        "days": ",".join(sorted(str(d) for d in c.days)),
        "hours": f"{c.start:%H:%M}-{c.end:%H:%M}", "timezone": c.timezone}),
    WithJsonSchema({"oneOf": [{"enum": ["24x7", "always", "business_hours"]}, {
        "type": "object", "additionalProperties": False, "required": ["hours"],
        "properties": {"days": {"type": "string", "examples": ["mon-fri", "all"]},
                       "hours": {"type": "string", "examples": ["09:00-17:00"]},
                       "timezone": {"type": "string"}}}]}),
]


def _check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone '{name}'{did_you_mean(name, available_timezones())}; "
                         "use an IANA name like 'America/New_York' or 'UTC'") from None
    return name


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True,
                              strict=True, populate_by_name=True)


# ---- sections ----------------------------------------------------------------------------


MAX_HORIZON_Y = 1000
MAX_HORIZON_S = MAX_HORIZON_Y * 31_536_000.0


class Simulation(Model):
    """When the drill starts, how long it runs, and its root seed."""

    start: str = Field(description="Local start date-time, e.g. '2026-03-10T09:00'")
    timezone: str = Field("UTC", description="IANA time zone for start, shifts and windows")
    horizon: Duration = Field(description="How long to simulate, e.g. '2d' or '1y'")
    seed: int = Field(0, ge=0, description="Root seed; same seed, same result")
    random_failures: bool = Field(
        False, description="Draw component, site and link failures from their ttf distributions")

    @field_validator("horizon")
    @classmethod
    def _horizon(cls, v: float) -> float:
        if v > MAX_HORIZON_S:
            raise ValueError(f"{v / 31_536_000:.3g} years is beyond the {MAX_HORIZON_Y}-year limit "
                             "(a typo?); simulate a shorter horizon and annualise")
        return v

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        return _check_timezone(v)

    @field_validator("start")
    @classmethod
    def _start(cls, v: str) -> str:
        try:
            dt = datetime.fromisoformat(v)
        except ValueError:
            raise ValueError(f"'{v}' is not a date-time; write e.g. '2026-03-10T09:00'") from None
        if dt.tzinfo is not None:
            raise ValueError("write start without a UTC offset; set simulation.timezone instead")
        return v

    @property
    def origin(self) -> datetime:
        return datetime.fromisoformat(self.start).replace(tzinfo=ZoneInfo(self.timezone))


class Location(Model):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class Spare(Model):
    """Spare parts for a component: stock at the site and delivery when stock runs out."""

    stock: int = Field(0, ge=0)
    lead_time: DelayDist = Field(description="Delivery time of a spare when stock is empty "
                                             "(0s: instant)")


class UnitStandby(Model):
    """Standby units of a component: `units` of its count wait idle and take over, one by one,
    from active units that fail (after the switchover time, with success probability)."""

    units: int = Field(ge=1, description="Standby units among count; count − units are active")
    mode: Literal["cold", "warm"] = Field("cold", description="cold: idle units do not age; "
                                                              "warm: they age at rate")
    rate: float | None = Field(None, gt=0, le=1, allow_inf_nan=False,
                               description="warm: idle ageing speed as a fraction of active")
    switchover: DelayDist = Field(default_factory=lambda: parse_distribution("0s", True),
                                  description="Time to put a standby unit into service")
    success: Probability = Field(1.0, description="P(a switchover works); a failed one sends "
                                                  "that standby unit to repair")

    @model_validator(mode="after")
    def _rate(self) -> UnitStandby:
        if self.mode == "cold" and self.rate is not None:
            raise FieldValueError("rate applies to warm standby only (cold units do not age); "
                                  "remove rate or set mode: warm", "rate")
        return self

    @property
    def speed(self) -> float:
        """Ageing speed of an idle standby unit, as a fraction of an active unit's."""
        return 0.0 if self.mode == "cold" else (1.0 if self.rate is None else self.rate)


class Component(Model):
    """Hardware or software inside a site; k-of-n: the site works while `needed` units are up."""

    name: str | None = None
    count: int = Field(1, ge=1, le=10_000)
    needed: int | None = Field(None, ge=1, description="Units needed (k of n); default all")
    ttf: Dist | None = Field(None, description="Time to failure of one unit")
    ttr: DelayDist | None = Field(None, description="Time to repair one unit (hands-on work; "
                                                    "0s: instant)")
    repair_role: Id | None = Field(None, description="Staff role that repairs it")
    spare: Spare | None = None
    standby: UnitStandby | None = Field(None, description="Standby units and switchover")
    suspend_when_down: bool = Field(False, description="Stop ageing while a service requiring "
                                                       "it is down at its site")
    restart: DelayDist | None = Field(None, description="Restart time of a unit after power "
                                                        "returns; default 0s")
    serves: int | None = Field(
        None, ge=1, description="Customers each unit that is up can serve: at most units up × "
                                "serves customers use the services requiring it at the site")

    @field_validator("needed")
    @classmethod
    def _k_of_n(cls, needed: int | None, info: ValidationInfo) -> int | None:
        count = info.data.get("count")
        if needed is not None and isinstance(count, int) and needed > count:
            raise ValueError(f"needed ({needed}) is more than count ({count}); k-of-n needs "
                             "k ≤ n: lower needed or raise count")
        return needed

    @model_validator(mode="after")
    def _standby_units(self) -> Component:
        if self.standby is None:
            return self
        active = self.count - self.standby.units
        if active < 1:
            raise FieldValueError(f"standby units ({self.standby.units}) must be fewer than count "
                                  f"({self.count}): at least one unit is active; lower "
                                  "standby.units or raise count", "standby", "units")
        if self.needed is not None and self.needed > active:
            raise FieldValueError(f"needed ({self.needed}) is more than the {active} active "
                                  f"units (count {self.count} − standby {self.standby.units}); "
                                  "lower needed", "needed")
        return self

    @property
    def k(self) -> int:
        if self.needed is not None:
            return self.needed
        return self.count - (self.standby.units if self.standby else 0)


class Site(Model):
    """A datacenter or co-location facility."""

    name: str | None = None
    kind: Literal["datacenter", "colocation", "cloud"] = "datacenter"
    location: Location | None = None
    capacity: int | None = Field(None, ge=0, description="Customers it can serve; none = no limit")
    components: dict[Id, Component] = Field(default_factory=dict)
    ttf: Dist | None = Field(None, description="Time to failure of the whole site")
    ttr: Dist | None = Field(None, description="Time to restore the whole site")
    access: Literal["open", "closed"] = Field(
        "open", description="Whether staff can enter the site (a step's requires.site_access)")


class AccessPoint(Model):
    """Where a customer group enters the network."""

    name: str | None = None
    location: Location | None = None


class Link(Model):
    """A network connection between two sites or access points."""

    a: Id
    b: Id
    latency: Delay = Field(0.0, description="One-way latency, e.g. '12ms'")
    bandwidth: Bandwidth = Field(1e9, description="e.g. '10Gbps'")
    ttf: Dist | None = None
    ttr: Dist | None = None


class Replication(Model):
    """Data replication from the service's active site to `to`; decides the data lost."""

    mode: Literal["sync", "async", "backup"]
    to: Id
    lag: Dist | None = Field(None, description="async: replication lag")
    interval: Duration | None = Field(None, description="backup: time between backups")

    @model_validator(mode="after")
    def _mode_fields(self) -> Replication:
        if self.mode == "async" and self.lag is None:
            raise ValueError("async replication needs lag, e.g. lag: 30s")
        if self.mode == "backup" and self.interval is None:
            raise ValueError("backup replication needs interval, e.g. interval: 24h")
        if self.mode != "async" and self.lag is not None:
            raise FieldValueError(f"lag applies to async replication only, not {self.mode}; "
                                  "remove lag or set mode: async", "lag")
        if self.mode != "backup" and self.interval is not None:
            raise FieldValueError(f"interval applies to backup replication only, not "
                                  f"{self.mode}; remove interval or set mode: backup", "interval")
        return self


# ---- data protection tiers (semantics in drsim/sim/protection.py) ----------------------------


def _clock_time(text: object) -> str:
    """'02:00' → '02:00'; a time of day on the 24-hour clock, else ValueError."""
    m = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", str(text).strip())
    if not m:
        raise ValueError(f"'{text}' is not a time of day; write HH:MM from 00:00 to 23:59, "
                         "e.g. '02:00'")
    return f"{int(m.group(1)):02d}:{m.group(2)}"


def _throughput(value: object) -> float:
    """'500MB/s' (a size per second) or '4Gbps' (a bandwidth) → bytes per second."""
    text = str(value).strip()
    if text.lower().endswith("/s"):
        return _positive(parse_size, "throughput")(text[:-2])
    return _positive(parse_bandwidth, "throughput")(text) / 8.0


# a field that takes one text or a list of them (a before-validator wraps the one in a list)
_ONE_OR_LIST: dict[str, Any] = {"anyOf": [{"type": "string"},
                                          {"type": "array", "items": {"type": "string"}},
                                          {"type": "null"}]}


class Schedule(Model):
    """When a snapshot or backup starts: clock times on some days, or every interval."""

    days: str = Field("all", description="Days the clock times apply, e.g. 'all', 'mon-fri'")
    at: list[str] | None = Field(None, description="Local clock time(s) a copy starts, '02:00'",
                                 json_schema_extra=_ONE_OR_LIST)
    every: Duration | None = Field(None, description="A copy every interval from the start")

    @field_validator("at", mode="before")
    @classmethod
    def _times(cls, v: object) -> object:
        items = v if isinstance(v, list) else [v]
        for i, t in enumerate(items):
            try:
                _clock_time(t)
            except ValueError as e:
                raise FieldValueError(str(e), *((i,) if isinstance(v, list) else ())) from None
        return [_clock_time(t) for t in items]

    @field_validator("days")
    @classmethod
    def _days(cls, v: str) -> str:
        parse_days(v)
        return v

    @model_validator(mode="after")
    def _one(self) -> Schedule:
        if (self.at is None) == (self.every is None):
            raise ValueError("a schedule gives at: '02:00' (clock times) or every: 1h, "
                             "exactly one of them")
        if self.every is not None and "days" in self.model_fields_set:
            raise FieldValueError("days applies to clock times (at) only; remove days",
                                  "days")
        return self


class TierRestore(Model):
    """How fast a copy is restored: a throughput, or a duration; default the network."""

    throughput: Annotated[float, BeforeValidator(_throughput)] | None = Field(
        None, description="'500MB/s' or '4Gbps': restore time = data size ÷ throughput")
    duration: Dist | None = Field(None, description="Restore time, whatever the size")

    @model_validator(mode="after")
    def _one(self) -> TierRestore:
        if (self.throughput is None) == (self.duration is None):
            raise ValueError("restore gives throughput: 500MB/s or duration: 6h, exactly one")
        return self


TIER_FIELDS = {"replica": ("mode", "lag"), "snapshot": ("schedule", "takes"),
               "backup": ("schedule", "takes"), "adhoc": ("taken_at", "takes")}


class Tier(Model):
    """One copy of a service's data: a replica, scheduled snapshots/backups, or an ad-hoc copy."""

    id: Id
    kind: Literal["replica", "snapshot", "backup", "adhoc"]
    at: Id = Field(description="Site (or access point) holding the copy")
    mode: Literal["sync", "async"] | None = Field(None, description="replica: sync | async")
    lag: Dist | None = Field(None, description="async replica: replication lag")
    schedule: Schedule | None = Field(None, description="snapshot/backup: when copies start")
    takes: DelayDist | None = Field(None, description="Time a copy takes to finish (default 0)")
    taken_at: str | None = Field(None, description="adhoc: local date-time the copy was taken")
    unusable: Probability = Field(0.0, description="P(silently unusable, found at restore)")
    discovery: DelayDist | None = Field(None, description="Time to find a copy unusable "
                                                          "(default 0s)")
    restore: TierRestore | None = None

    @field_validator("taken_at")
    @classmethod
    def _taken_at(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                when = datetime.fromisoformat(v)
            except ValueError:
                raise ValueError(f"'{v}' is not a date-time; write e.g. '2026-03-10T06:00'") \
                    from None
            if when.tzinfo is not None:
                raise ValueError(f"write '{v}' without a UTC offset; it is local time in "
                                 "simulation.timezone")
        return v

    @model_validator(mode="after")
    def _kind_fields(self) -> Tier:
        for name in ("mode", "lag", "schedule", "takes", "taken_at"):
            if getattr(self, name) is not None and name not in TIER_FIELDS[self.kind]:
                owners = [k for k, f in TIER_FIELDS.items() if name in f]
                raise FieldValueError(f"{name} does not apply to a {self.kind} tier (only to "
                                      f"{' and '.join(owners)}); remove {name}", name)
        needs = {"replica": "mode", "snapshot": "schedule", "backup": "schedule",
                 "adhoc": "taken_at"}[self.kind]
        if getattr(self, needs) is None:
            raise ValueError(f"a {self.kind} tier needs {needs}")
        if self.mode == "async" and self.lag is None:
            raise ValueError("an async replica needs lag, e.g. lag: 30s")
        if self.mode == "sync" and self.lag is not None:
            raise FieldValueError("lag applies to async replicas only; remove lag or set "
                                  "mode: async", "lag")
        return self


class Standby(Model):
    sites: list[Id] = Field(min_length=1)
    mode: Literal["hot", "warm", "cold"] = "cold"
    switchover: DelayDist | None = Field(
        None, description="hot only: time from the standby's own alert (its failed "
                          "health checks) until the automatic takeover completes; default "
                          "instant")
    success: Probability = Field(1.0, description="hot only: P(the automatic takeover "
                                                  "works); a failure triggers "
                                                  "auto_failover_failed runbooks")

    @model_validator(mode="after")
    def _hot_only(self) -> Standby:
        for key in ("switchover", "success"):
            if key in self.model_fields_set and self.mode != "hot":
                raise FieldValueError(f"{key} applies to an automatic (hot) standby only, not "
                                      f"{self.mode}; remove {key} or set mode: hot", key)
        return self


class Dependency(Model):
    """A service needed elsewhere: healthy at `at` (or at any site, `at: any`) and reachable
    over up links from the site that serves."""

    service: Id
    at: Id = Field(description="'any' (some site where it is healthy and reachable) or a site id")

    @property
    def anywhere(self) -> bool:
        return self.at == "any"


def _dependency_kind(value: object) -> str:
    return "remote" if isinstance(value, dict | Dependency) else "same"


DependencyRef = Annotated[
    Annotated[Id, Tag("same")] | Annotated[Dependency, Tag("remote")],
    Discriminator(_dependency_kind)]


class Service(Model):
    """What customers use; served where active, healthy, reachable and with capacity left."""

    name: str | None = None
    requires: list[Id] = Field(default_factory=list,
                               description="Component ids that must be up at the serving site")
    depends_on: list[DependencyRef] = Field(
        default_factory=list,
        description="Services it needs: an id (healthy at the same site) or {service, at: any "
                    "| <site>} (healthy there and reachable over up links)")
    active: list[Id] = Field(min_length=1, description="Sites where it runs; 2+ = active-active")
    standby: Standby | None = None
    latency_budget: Duration | None = None
    replication: Replication | None = None
    protection: list[Tier] = Field(default_factory=list,
                                   description="Copies of the data, tried at restore")
    data_size: Size | None = None
    essential: bool = Field(True, description="Part of basic service (counts for rto_basic)")
    suspend_failures: bool = Field(False, description="Components it requires stop ageing at a "
                                                      "site while it is down there")

    @property
    def tiers(self) -> list[Tier]:
        """Every copy of the data: `replication` (as the tier 'replication'), then protection."""
        if self.replication is None:
            return list(self.protection)
        r = self.replication
        legacy = Tier.model_construct(
            id="replication", kind="backup" if r.mode == "backup" else "replica", at=r.to,
            mode=None if r.mode == "backup" else r.mode, lag=r.lag, taken_at=None, takes=None,
            schedule=Schedule.model_construct(days="all", at=None, every=r.interval)
            if r.mode == "backup" else None, unusable=0.0, discovery=None, restore=None)
        return [legacy, *self.protection]


class CustomerGroup(Model):
    name: str | None = None
    count: int = Field(ge=1)
    access: Id = Field(description="Access point (or site) where its traffic enters")
    home: Id = Field(description="Site that serves it normally")
    services: list[Id] = Field(min_length=1)
    priority: int = Field(1, ge=1, description="1 = highest; low priorities lose capacity first")
    requires: list[Id] = Field(
        default_factory=list,
        description="Components its customers live on (their servers, pod or shard): at a site "
                    "that has such a component, the group is served only while it is up")


class Rotation(Model):
    """One rota of a role (follow the sun): its people share a shift calendar and call-out."""

    count: int = Field(1, ge=1, le=1000)
    shift: CalendarSpec = Field(default=ALWAYS, description="Give it its own timezone")
    callout: DelayDist = Field(default_factory=lambda: parse_distribution("0s", True))


class Role(Model):
    """Staff role: headcount, shift calendar and call-out delay when off shift."""

    name: str | None = None
    count: int = Field(1, ge=1, le=1000)
    shift: CalendarSpec = Field(default=ALWAYS)
    callout: DelayDist = Field(default_factory=lambda: parse_distribution("0s", True))
    callout_hold: Duration = Field(12 * 3600.0,
                                   description="How long a called-out person stays available")
    rotations: list[Rotation] | None = Field(
        None, min_length=1, description="Several rotas, each with its own count, shift (time "
                                        "zone) and call-out; instead of count/shift/callout")

    @model_validator(mode="after")
    def _rotas(self) -> Role:
        clash = sorted({"count", "shift", "callout"} & self.model_fields_set)
        if self.rotations is not None and clash:
            raise FieldValueError(f"give {clash[0]} inside each rotation, not beside rotations; "
                                  f"move it into the rotations", clash[0])
        return self

    def rotas(self) -> list[Rotation]:
        """The role's rotas: its rotations, or one rota made of count/shift/callout."""
        if self.rotations is not None:
            return list(self.rotations)
        return [Rotation(count=self.count, shift=self.shift, callout=self.callout)]

    @property
    def headcount(self) -> int:
        return sum(r.count for r in self.rotas())


class EscalationLevel(Model):
    """One level of an escalation policy: the role paged, and how long it has to answer."""

    role: Id
    timeout: Duration | None = Field(None, description="Next level paged if nobody has "
                                                       "acknowledged within this; none = wait")
    answers: Probability | None = Field(None, description="P(this level's person answers a "
                                                          "page); default detection.answers")


class Detection(Model):
    interval: Duration = Field(60.0, description="Monitoring check interval")
    failed_checks: int = Field(3, ge=1, le=1000, description="Failed checks before an alert")
    page: Id | list[Id] | None = Field(None, description="Role (or roles) paged on an alert")
    ack_delay: DelayDist = Field(default_factory=lambda: parse_distribution("0s", True))
    escalation: list[EscalationLevel] = Field(
        default_factory=list, description="Levels paged in turn while nobody acknowledges")
    answers: Probability = Field(1.0, description="P(a paged person answers at all), per page")
    requires: list[Id] = Field(default_factory=list,
                               description="Services monitoring and paging need")
    degraded_delay: DelayDist = Field(
        default_factory=lambda: parse_distribution("0s", True),
        description="Extra delay of alerts and pages while a required service is down "
                    "everywhere (people notice by other means)")

    @property
    def page_roles(self) -> list[str]:
        if self.page is None:
            return []
        return [self.page] if isinstance(self.page, str) else list(self.page)
    declare_delay: DelayDist = Field(default_factory=lambda: parse_distribution("0s", True),
                                     description="Decision time before a disaster is declared")
    declare_role: Id | None = Field(None, description="Role that declares (incident commander)")


class Preconditions(Model):
    window: Id | None = Field(None, description="Maintenance window the step must start in")
    link_up: list[Id] = Field(default_factory=list)
    site_healthy: list[Id] = Field(default_factory=list,
                                   description="Sites that must be fully repaired first")
    service_up: list[str] = Field(default_factory=list,
                                  description="Services the step's tooling needs: 'svc' (healthy "
                                              "at an active site) or 'svc@site'")
    site_access: list[Id] = Field(default_factory=list,
                                  description="Sites staff must be able to enter")
    timeout: Duration | None = Field(None, description="Stop waiting after this long")
    on_timeout: Literal["fail", "skip"] = Field(
        "fail", description="After the timeout: fail (the fallback runs) or skip the step")

    @model_validator(mode="after")
    def _timeout(self) -> Preconditions:
        if "on_timeout" in self.model_fields_set and self.timeout is None:
            raise FieldValueError("on_timeout needs a timeout; add timeout: 30m or remove "
                                  "on_timeout", "on_timeout")
        return self


def _check_hours(value: object) -> str:
    parse_hours(str(value))
    return str(value)


class When(Model):
    """Conditions checked once, when the step is ready; all must hold or it is not needed."""

    site_up: list[Id] = Field(default_factory=list)
    site_down: list[Id] = Field(default_factory=list)
    service_up: list[str] = Field(default_factory=list, description="'svc' or 'svc@site'")
    service_down: list[str] = Field(default_factory=list, description="'svc' or 'svc@site'")
    component_up: list[str] = Field(default_factory=list,
                                    description="'site.component' with at least `needed` up")
    component_down: list[str] = Field(default_factory=list,
                                      description="'site.component' below `needed` units up")
    hours: Annotated[str, BeforeValidator(_check_hours)] | None = Field(
        None, description="Local time span 'HH:MM-HH:MM' (may cross midnight)")
    data_lost_above: dict[Id, Delay] = Field(
        default_factory=dict, description="Per service: data lost so far in this run exceeds")


class Staged(Model):
    """N units of work done by k parallel workers; effects applied per finished batch."""

    units: int = Field(ge=1, le=100_000)
    workers: int = Field(1, ge=1, le=1000, description="Parallel workers (each holds one "
                                                         "person of every role of the step)")
    per_unit: DelayDist = Field(description="Time for one unit")
    batch: int | None = Field(None, ge=1, description="Units per application of the effects; "
                                                       "default all units (once, at the end)")

    @model_validator(mode="after")
    def _batch(self) -> Staged:
        if self.batch is not None and self.batch > self.units:
            raise FieldValueError(f"batch ({self.batch}) is more than units ({self.units}); "
                                  "lower batch", "batch")
        return self

    @property
    def batch_size(self) -> int:
        return self.units if self.batch is None else self.batch


class ServiceAtSite(Model):
    service: Id
    site: Id


class Move(Model):
    groups: list[Id] | Literal["all"] = "all"
    to: Id = Field(description="A site id, or 'home' to send each group home")


class Restore(Model):
    service: Id
    to: Id = Field(description="Site receiving the data; it travels from the replica")
    from_: list[Id] | None = Field(None, alias="from",
                                   description="Tier id(s) tried in order; default newest first",
                                   json_schema_extra=_ONE_OR_LIST)

    @field_validator("from_", mode="before")
    @classmethod
    def _from(cls, v: object) -> object:
        return [v] if isinstance(v, str) else v


class Rebuild(Model):
    site: Id
    component: Id | None = Field(None, description="One component, or all of the site's")
    units: int | None = Field(None, ge=1, description="Down units rebuilt (lowest-numbered "
                                                      "first); default all")


class Effect(Model):
    """Exactly one of the keys: what a finished step changes."""

    activate: ServiceAtSite | None = None
    deactivate: ServiceAtSite | None = None
    move: Move | None = None
    restore: Restore | None = None
    rebuild: Rebuild | None = None

    @model_validator(mode="after")
    def _one(self) -> Effect:
        given = [k for k in type(self).model_fields if getattr(self, k) is not None]
        if len(given) != 1:
            raise FieldValueError("an effect has exactly one of: "
                                  + ", ".join(type(self).model_fields)
                                  + f"; got {given or 'none'}: make each a separate effect",
                                  *given[1:2])
        return self

    @property
    def kind(self) -> str:
        return next(k for k in type(self).model_fields if getattr(self, k) is not None)


class Step(Model):
    id: Id
    description: str | None = None
    after: list[Id] = Field(default_factory=list)
    duration: DelayDist
    roles: list[Id] = Field(default_factory=list)
    success: Probability = 1.0
    retries: int = Field(0, ge=0, le=100)
    fallback: Id | None = Field(None, description="Step run instead when all attempts fail")
    requires: Preconditions = Field(default_factory=Preconditions)
    effects: list[Effect] = Field(default_factory=list)
    when: When | None = Field(None, description="Run only if these hold when ready")
    discovery: DelayDist | None = Field(None, description="Time to notice a failed attempt; "
                                                          "default the attempt's duration")
    staged: Staged | None = None

    @model_validator(mode="after")
    def _staged(self) -> Step:
        if self.staged is None:
            return self
        for key, bad in (("success", self.success < 1.0), ("retries", self.retries > 0),
                         ("discovery", self.discovery is not None)):
            if bad:
                raise FieldValueError(f"a staged step has no {key} (each unit always "
                                      "completes); remove it", key)
        if any(e.restore is not None for e in self.effects):
            raise FieldValueError("a staged step cannot restore data (its transfer time is not "
                                  "staged); put the restore in its own step", "effects")
        if any(e.rebuild is not None and e.rebuild.units is not None for e in self.effects):
            raise FieldValueError("a staged step's rebuild brings up as many units as each "
                                  "batch finished, so it takes no units: remove it (set "
                                  "staged.batch instead)", "effects")
        return self


class AfterRunbook(Model):
    after: Id


class Runbook(Model):
    description: str | None = None
    trigger: Literal["detected", "declared", "auto_failover_failed"] | AfterRunbook = "declared"
    cancel_if_recovered: bool = Field(
        False, description="Call the runbook off when customers have service again before any "
                           "of its steps has changed anything (the primary came back first)")
    steps: list[Step] = Field(min_length=1)


class Target(Model):
    site: Id | None = None
    component: str | None = Field(None, description="'site.component'")
    link: Id | None = None
    power: Id | None = Field(None, description="Site losing power: the site and every "
                                               "component there go down")
    units: int | None = Field(None, ge=1, description="Component units hit; default all")
    data: Id | None = Field(None, description="Service whose data at `site` is corrupted or "
                                              "deleted (unhealthy there until restored)")
    access: Id | None = Field(None, description="Site closed to staff for the duration")

    @model_validator(mode="after")
    def _one(self) -> Target:
        if self.data is not None and self.site is None:
            raise ValueError("a data target names the site holding the data: "
                             "{data: <service>, site: <site>}")
        given = [k for k in ("site", "component", "link", "power", "access")
                 if getattr(self, k) is not None]
        if len(given) != 1:
            raise FieldValueError(f"a target names exactly one of site, component, link, power, "
                                  f"access; got {given}: make each a separate target",
                                  *given[1:2])
        if self.units is not None and self.component is None:
            raise FieldValueError("units applies to a component target only; remove units",
                                  "units")
        return self


def _one_end(fault: Disruption | Cascade) -> None:
    if fault.duration is not None and fault.until is not None:
        raise FieldValueError("give duration or until: repaired, not both; remove one", "until")
    if fault.duration is None and fault.until is None:
        raise ValueError("say how the fault ends: add duration: 4h or until: repaired")


class Cascade(Model):
    """A fault that spreads: `after` the fault it hangs from, with `probability`, strike more."""

    description: str | None = None
    after: DelayDist = Field(description="Delay after the parent fault strikes")
    probability: Probability = Field(1.0, description="P(it spreads); drawn once per trial")
    targets: list[Target] = Field(min_length=1)
    duration: Dist | None = None
    until: Literal["repaired"] | None = None
    repair: DelayDist | None = Field(None, description="Restore time of a site, link or power "
                                                       "hit until repaired, when it has no ttr")
    cascade: list[Cascade] = Field(default_factory=list, description="Further spread (nests)")

    @model_validator(mode="after")
    def _end(self) -> Cascade:
        _one_end(self)
        return self


class Disruption(Model):
    """A scripted fault: at an offset or date-time, for a duration or until repaired."""

    id: Id
    description: str | None = None
    at: DelayDist | str = Field(description="Offset ('1h42m', or a distribution) or local "
                                            "date-time '2026-03-10T10:42'")
    targets: list[Target] = Field(min_length=1)
    duration: Dist | None = None
    until: Literal["repaired"] | None = None
    repair: DelayDist | None = Field(None, description="Restore time of a site or link hit "
                                                       "until repaired, when it has no ttr "
                                                       "(0s: instant)")
    cascade: list[Cascade] = Field(default_factory=list,
                                   description="Faults this one spreads to (fire between halls)")

    @field_validator("at", mode="before")
    @classmethod
    def _at(cls, v: object) -> object:
        if isinstance(v, str) and "T" in v or isinstance(v, str) and v[:1].isdigit() and "-" in v:
            try:
                when = datetime.fromisoformat(v)
            except ValueError:
                raise ValueError(f"'{v}' is neither an offset ('1h42m') nor a date-time "
                                 "('2026-03-10T10:42')") from None
            if when.tzinfo is not None:
                raise ValueError(f"write '{v}' without a UTC offset; it is local time in "
                                 "simulation.timezone")
            return v
        return parse_distribution(v, True)

    @model_validator(mode="after")
    def _end(self) -> Disruption:
        _one_end(self)
        return self


class Objective(Model):
    id: Id
    service: Id | None = None
    group: Id | None = None
    rto: Duration | None = Field(None, description="Basic service restored within")
    rpo: Delay | None = Field(None, description="Data lost at most")
    availability: Probability | None = None

    @model_validator(mode="after")
    def _some(self) -> Objective:
        if self.rto is None and self.rpo is None and self.availability is None:
            raise ValueError("an objective sets at least one of rto, rpo, availability")
        if self.service is not None and self.group is not None:
            raise FieldValueError("an objective applies to a service or a group, not both; "
                                  "remove one or write two objectives", "group")
        return self


class Cost(Model):
    """What one element costs: once to buy or build, and every year to run."""

    capital: float = Field(0.0, ge=0, allow_inf_nan=False, description="One-off cost")
    operating: float = Field(0.0, ge=0, allow_inf_nan=False, description="Cost per year")


Price = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class Costs(Model):
    """Money: what the setup costs to own, and what downtime and lost data cost (for invest)."""

    currency: str = Field("USD", description="Label printed with every amount")
    sites: dict[Id, Cost] = Field(default_factory=dict, description="Per site")
    links: dict[Id, Cost] = Field(default_factory=dict, description="Per link")
    staff: dict[Id, Cost] = Field(default_factory=dict,
                                  description="Per head of the role (× its count)")
    spares: dict[str, Cost] = Field(default_factory=dict,
                                    description="Per spare unit held, keyed 'site.component' "
                                                "(× the component's spare stock)")
    # the loader writes every mapping key as text: a priority key '1' is read as the number
    downtime: dict[Annotated[int, Strict(False)], Price] = Field(
        default_factory=dict, description="Cost of one customer-minute without basic service, "
                                          "by customer priority tier (1 = highest)")
    data_loss: Price | dict[Id, Price] = Field(
        0.0, description="Cost of one minute of data lost: one price for every service, or "
                         "per service id")
    disruptions_per_year: float | None = Field(
        None, gt=0, allow_inf_nan=False,
        description="How often per year the scripted disruptions happen; annual loss = loss "
                    "per trial × this. Without it, loss per trial × 365 d / horizon")

    def data_loss_price(self, service: str) -> float:
        if isinstance(self.data_loss, dict):
            return self.data_loss.get(service, 0.0)
        return self.data_loss


class StatusPageSpec(Model):
    """The public status page, which may itself run on the infrastructure that failed."""

    requires: list[Id] = Field(default_factory=list,
                               description="Services the status page runs on; while none of "
                                           "their sites serves, updates cannot be posted")
    fallback: Delay | None = Field(
        None, description="While the page is down, an update still goes out by other means "
                          "(a social post, an email) this long after it was due; none = held "
                          "until the page is back")


class Scenario(Model):
    """A drsim scenario file, format version 1."""

    drsim: Literal[1] = Field(description="Format version; write 1")
    name: str
    description: str | None = None
    simulation: Simulation
    sites: dict[Id, Site] = Field(min_length=1)
    access_points: dict[Id, AccessPoint] = Field(default_factory=dict)
    links: dict[Id, Link] = Field(default_factory=dict)
    services: dict[Id, Service] = Field(min_length=1)
    customers: dict[Id, CustomerGroup] = Field(min_length=1)
    staff: dict[Id, Role] = Field(default_factory=dict)
    detection: Detection = Field(default_factory=Detection)
    maintenance_windows: dict[Id, CalendarSpec] = Field(default_factory=dict)
    runbooks: dict[Id, Runbook] = Field(default_factory=dict)
    disruptions: list[Disruption] = Field(default_factory=list)
    objectives: list[Objective] = Field(default_factory=list)
    status_page: StatusPageSpec = Field(default_factory=StatusPageSpec,
                                        description="What the public status page depends on")
    costs: Costs | None = Field(None, description="Costs of ownership, downtime and lost data "
                                                  "(used by drsim invest)")


def json_schema() -> dict[str, Any]:
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "drsim scenario (format 1)"
    return schema
