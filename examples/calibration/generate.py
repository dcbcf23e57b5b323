"""Writes the synthetic "year of drills" of examples/calibration/ (run from the repository root:
`python examples/calibration/generate.py`). SYNTHETIC DATA: drawn from known distributions,
slower than the expert estimates of scenarios/nyc-chicago-drill.yaml (as real recoveries
tend to be), so that `drsim calibrate` has something to find. No real team's logs.

The truths (median, p90 of a lognormal unless said otherwise):
  failover.open-bridge            12m, 20m
  failover.verify-chicago         30m, 1h10m
  failover.provision-network      1h30m, 3h30m  (timebox 3h: longer runs are stopped there)
  failover.load-subscriber-data   weibull shape 2.5, scale 55m
  failover.start-services         40m, 1h30m
  failover.reroute-smb-central    25m, 40m
  failover.reroute-consumer       35m, 55m
  failback.* steps                only 5 drills practise the failback (too few to fit)
  detection.ack_delay             8m, 25m       (paging export)
  detection.declare_delay         35m, 1h30m
"""

from __future__ import annotations

import csv
import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
Z90 = 1.2815515655446004
rng = np.random.default_rng(20260101)

LOG_NAMES = {
    "failover.open-bridge": "Open bridge",
    "failover.verify-chicago": "Verify Chicago site",
    "failover.provision-network": "Provision network",
    "failover.load-subscriber-data": "Load subscriber DB",
    "failover.start-services": "Start services",
    "failover.reroute-smb-central": "Reroute SMB central",
    "failover.reroute-consumer": "Reroute consumers",
    "failback.confirm-new-york": "Confirm NYC",
    "failback.rebuild-pod-switching": "Rebuild pod switching",
    "failback.move-home": "Move customers home",
}
TIMEBOX = {"failover.provision-network": 3 * 3600}


def lognormal(median_m: float, p90_m: float) -> float:
    mu = math.log(median_m * 60)
    return float(rng.lognormal(mu, (math.log(p90_m * 60) - mu) / Z90))


TRUTH = {
    "failover.open-bridge": lambda: lognormal(12, 20),
    "failover.verify-chicago": lambda: lognormal(30, 70),
    "failover.provision-network": lambda: lognormal(90, 210),
    "failover.load-subscriber-data": lambda: float(55 * 60 * rng.weibull(2.5)),
    "failover.start-services": lambda: lognormal(40, 90),
    "failover.reroute-smb-central": lambda: lognormal(25, 40),
    "failover.reroute-consumer": lambda: lognormal(35, 55),
    "failback.confirm-new-york": lambda: lognormal(15, 25),
    "failback.rebuild-pod-switching": lambda: lognormal(50, 80),
    "failback.move-home": lambda: lognormal(25, 40),
}


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def drills() -> None:
    rows = []
    for d in range(24):  # fortnightly game days
        day = datetime(2026, 1, 6, 14, 0, tzinfo=UTC) + timedelta(days=14 * d)
        steps = [s for s in TRUTH if s.startswith("failover.")]
        if d % 5 == 0:
            steps += [s for s in TRUTH if s.startswith("failback.")]
        t = day
        for step in steps:
            dur = TRUTH[step]()
            row = {"drill": f"gameday-{d + 1:02d}", "step": LOG_NAMES[step], "start": iso(t),
                   "end": "", "stopped": "", "end_after": "", "end_before": "",
                   "outcome": "success", "people": "", "notes": ""}
            box = TIMEBOX.get(step)
            if box is not None and dur > box:
                row["stopped"] = iso(t + timedelta(seconds=box))
                row["outcome"] = "failed"
                row["notes"] = "stopped at the 3h timebox"
                dur = box
            elif rng.random() < 0.1:  # written up afterwards from the bridge's 15-minute log
                end = t + timedelta(seconds=dur)
                q = (end.minute // 15) * 15
                lo = end.replace(minute=q, second=0)
                row["end_after"], row["end_before"] = iso(lo), iso(lo + timedelta(minutes=15))
                if lo < t:
                    row["end_after"] = iso(t)
                row["notes"] = "ended between two bridge check-ins"
            else:
                row["end"] = iso(t + timedelta(seconds=round(dur)))
            row["people"] = "ana;raj" if d % 2 else "lee"
            rows.append(row)
            t = t + timedelta(seconds=round(dur) + 60)
    with open(HERE / "drills.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def pages() -> None:
    incidents, entries = [], []
    for i in range(30):
        created = datetime(2026, 1, 3, 3, 0, tzinfo=UTC) + timedelta(
            days=12 * i, hours=int(rng.integers(0, 20)))
        ack = lognormal(8, 25)
        declare = lognormal(35, 90)
        inc = {"id": f"Q{1000 + i}", "incident_number": 1000 + i, "type": "incident",
               "title": "Voice call setup failures", "status": "resolved",
               "created_at": iso(created)}
        resolved = created + timedelta(seconds=ack + declare + 3 * 3600)
        if i % 10 == 7:  # auto-resolved before anyone acknowledged: ack right-censored
            resolved = created + timedelta(seconds=min(ack, 240.0) / 2)
        else:
            entries.append({"id": f"R{i}A", "type": "acknowledge_log_entry",
                            "created_at": iso(created + timedelta(seconds=round(ack))),
                            "incident": {"id": inc["id"], "type": "incident_reference"}})
            if i % 3 == 0:
                inc["declared_at"] = iso(created + timedelta(seconds=round(ack + declare)))
        inc["resolved_at"] = iso(resolved)
        entries.append({"id": f"R{i}R", "type": "resolve_log_entry", "created_at": iso(resolved),
                        "incident": {"id": inc["id"], "type": "incident_reference"}})
        incidents.append(inc)
    (HERE / "pages.json").write_text(json.dumps(
        {"incidents": incidents, "log_entries": entries}, indent=1) + "\n", encoding="utf-8")


def status() -> None:
    incidents = []
    for i in range(4):
        t0 = datetime(2026, 2, 10, 15, 0, tzinfo=UTC) + timedelta(days=60 * i)
        back = t0 + timedelta(seconds=lognormal(150, 300))
        ups = [
            {"status": "investigating", "created_at": iso(t0), "affected_components": [
                {"name": "Voice (Central)", "old_status": "operational",
                 "new_status": "major_outage"},
                {"name": "Voice (Consumer)", "old_status": "operational",
                 "new_status": "major_outage"}]},
            {"status": "identified", "created_at": iso(t0 + timedelta(minutes=40))},
            {"status": "monitoring", "created_at": iso(back), "affected_components": [
                {"name": "Voice (Central)", "old_status": "major_outage",
                 "new_status": "operational"},
                {"name": "Voice (Consumer)", "old_status": "major_outage",
                 "new_status": "operational"}]},
            {"status": "resolved", "created_at": iso(back + timedelta(hours=1))},
        ]
        incidents.append({"id": f"sp{i + 1}", "name": "Calls failing in some regions",
                          "status": "resolved", "incident_updates": ups[::-1]})
    (HERE / "status.json").write_text(json.dumps({"incidents": incidents}, indent=1) + "\n",
                                      encoding="utf-8")


if __name__ == "__main__":
    drills()
    pages()
    status()
