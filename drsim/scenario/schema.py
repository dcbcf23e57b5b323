"""The scenario format v1: pydantic models are the one source of field, type, unit, default, doc.

Values arrive already parsed from YAML (see loader); unit strings are resolved here, through
the parsers in units.py and distributions.py, so a Scenario holds floats in seconds, bits per
second and bytes. Cross-references between sections are checked in validate.py.
"""

from __future__ import annotations

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


def _positive(parse: Any, what: str) -> Any:
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
                              strict=False, populate_by_name=True)


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
    lead_time: Dist = Field(description="Delivery time of a spare when stock is empty")


class Component(Model):
    """Hardware or software inside a site; k-of-n: the site works while `needed` units are up."""

    name: str | None = None
    count: int = Field(1, ge=1, le=10_000)
    needed: int | None = Field(None, ge=1, description="Units needed (k of n); default all")
    ttf: Dist | None = Field(None, description="Time to failure of one unit")
    ttr: Dist | None = Field(None, description="Time to repair one unit (hands-on work)")
    repair_role: Id | None = Field(None, description="Staff role that repairs it")
    spare: Spare | None = None
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

    @property
    def k(self) -> int:
        return self.count if self.needed is None else self.needed


class Site(Model):
    """A datacenter or co-location facility."""

    name: str | None = None
    kind: Literal["datacenter", "colocation", "cloud"] = "datacenter"
    location: Location | None = None
    capacity: int | None = Field(None, ge=0, description="Customers it can serve; none = no limit")
    components: dict[Id, Component] = Field(default_factory=dict)
    ttf: Dist | None = Field(None, description="Time to failure of the whole site")
    ttr: Dist | None = Field(None, description="Time to restore the whole site")


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


class Standby(Model):
    sites: list[Id] = Field(min_length=1)
    mode: Literal["hot", "warm", "cold"] = "cold"


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
    data_size: Size | None = None
    essential: bool = Field(True, description="Part of basic service (counts for rto_basic)")


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


class Role(Model):
    """Staff role: headcount, shift calendar and call-out delay when off shift."""

    name: str | None = None
    count: int = Field(1, ge=1, le=1000)
    shift: CalendarSpec = Field(default=ALWAYS)
    callout: DelayDist = Field(default_factory=lambda: parse_distribution("0s", True))
    callout_hold: Duration = Field(12 * 3600.0,
                                   description="How long a called-out person stays available")


class Detection(Model):
    interval: Duration = Field(60.0, description="Monitoring check interval")
    failed_checks: int = Field(3, ge=1, le=1000, description="Failed checks before an alert")
    page: Id | None = Field(None, description="Role paged on an alert")
    ack_delay: DelayDist = Field(default_factory=lambda: parse_distribution("0s", True))
    declare_delay: DelayDist = Field(default_factory=lambda: parse_distribution("0s", True),
                                     description="Decision time before a disaster is declared")
    declare_role: Id | None = Field(None, description="Role that declares (incident commander)")


class Preconditions(Model):
    window: Id | None = Field(None, description="Maintenance window the step must start in")
    link_up: list[Id] = Field(default_factory=list)
    site_healthy: list[Id] = Field(default_factory=list,
                                   description="Sites that must be fully repaired first")


class ServiceAtSite(Model):
    service: Id
    site: Id


class Move(Model):
    groups: list[Id] | Literal["all"] = "all"
    to: Id = Field(description="A site id, or 'home' to send each group home")


class Restore(Model):
    service: Id
    to: Id = Field(description="Site receiving the data; it travels from the replica")


class Rebuild(Model):
    site: Id
    component: Id | None = Field(None, description="One component, or all of the site's")


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


class AfterRunbook(Model):
    after: Id


class Runbook(Model):
    description: str | None = None
    trigger: Literal["detected", "declared"] | AfterRunbook = "declared"
    cancel_if_recovered: bool = Field(
        False, description="Call the runbook off when customers have service again before any "
                           "of its steps has changed anything (the primary came back first)")
    steps: list[Step] = Field(min_length=1)


class Target(Model):
    site: Id | None = None
    component: str | None = Field(None, description="'site.component'")
    link: Id | None = None
    units: int | None = Field(None, ge=1, description="Component units hit; default all")

    @model_validator(mode="after")
    def _one(self) -> Target:
        given = [k for k in ("site", "component", "link") if getattr(self, k) is not None]
        if len(given) != 1:
            raise FieldValueError(f"a target names exactly one of site, component, link; got "
                                  f"{given}: make each a separate target", *given[1:2])
        if self.units is not None and self.component is None:
            raise FieldValueError("units applies to a component target only; remove units",
                                  "units")
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
    repair: Dist | None = Field(None, description="Restore time of a site or link hit until "
                                                  "repaired, when it has no ttr")

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
        if self.duration is not None and self.until is not None:
            raise FieldValueError("give duration or until: repaired, not both; remove one",
                                  "until")
        if self.duration is None and self.until is None:
            raise ValueError("say how the fault ends: add duration: 4h or until: repaired")
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
    downtime: dict[int, Price] = Field(
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
    costs: Costs | None = Field(None, description="Costs of ownership, downtime and lost data "
                                                  "(used by drsim invest)")


def json_schema() -> dict[str, Any]:
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "drsim scenario (format 1)"
    return schema
