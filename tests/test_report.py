"""The HTML report: status page data, escaping, self-containedness, Monte Carlo content, the
run command's --report, and the report opened in a real browser (headless Chromium).

The browser tests run Debian's chromium (.ci/run installs it) and keep their screenshots in
tests/artifacts/ (report-default-drill.png: the whole report; status-page.png: the status page
alone). They are skipped only when /usr/bin/chromium is absent.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from conftest import ROOT
from typer.testing import CliRunner

from drsim.cli import app
from drsim.montecarlo import run_trials
from drsim.report.html import render_run_report, render_trials_report
from drsim.report.status import (
    DEGRADED,
    MAJOR,
    OPERATIONAL,
    ORDER,
    PARTIAL,
    state_of,
    status_page,
    uptime_by_day,
)
from drsim.report.trials_text import format_value
from drsim.result import RunResult
from drsim.scenario import Scenario, load_scenario, validate
from drsim.scenario.loader import load_text
from drsim.sim.engine import simulate

runner = CliRunner()
SHORT = ROOT / "scenarios" / "nyc-chicago-capacity-short.yaml"  # deterministic numbers
DEFAULT = ROOT / "scenarios" / "nyc-chicago-drill.yaml"
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "tests" / "artifacts"
EVIL = "<script>alert(1)</script>"
QUOTES = "\"double\" & 'single'"


@pytest.fixture(scope="module")
def drill() -> tuple[RunResult, Scenario]:
    sc = load_scenario(SHORT)
    return simulate(sc), sc


@pytest.fixture(scope="module")
def drill_html(drill: tuple[RunResult, Scenario]) -> str:
    return render_run_report(*drill)


class Elements(HTMLParser):
    """Every start tag as (tag, attributes), for checks on the page's structure."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def find(self, **want: str) -> list[dict[str, str | None]]:
        return [a for _, a in self.tags if all(a.get(k) == v for k, v in want.items())]


def status_cells(page: str) -> dict[tuple[str, str], str]:
    """(service, 'worst'|'end') → the state the status page shows."""
    rows = re.findall(r'<tr data-service="([^"]+)">(.*?)</tr>', page, flags=re.DOTALL)
    out = {}
    for service, row in rows:
        for moment, state in re.findall(r'data-moment="(\w+)" data-state="([^"]+)"', row):
            out[service, moment] = state
    return out


def updates_shown(page: str) -> list[tuple[str, float]]:
    """(status, time) of each update, oldest first (the page shows the newest first)."""
    return sorted(((status, float(t)) for status, t in
                   re.findall(r'data-status="([^"]+)" data-time-s="([^"]+)"', page)),
                  key=lambda u: (u[1], ORDER.index(u[0])))


def expected_updates(result: RunResult) -> list[tuple[str, float]]:
    """The capacity-short drill's status updates, derived by hand (times after the 10:42
    fault; its timeline is derived in test_bundled)."""
    fault = result.incidents[0].start_s
    return [("Investigating", fault + 120),   # the third failing check, 10:44
            ("Identified", fault + 1620),     # ack 5m + decision 20m: 11:09
            ("Update", fault + 10620),        # enterprise + smb-central in Chicago, 13:39
            ("Update", fault + 51480),        # fax-legacy with New York repaired, 01:00
            ("Maintenance", fault + 51480),   # failback's first step, 01:00
            ("Monitoring", fault + 55780),    # smb-east + consumer home, 02:11:40
            ("Resolved", fault + 56380)]      # Chicago stood down, 02:21:40


def assert_self_contained(page: str) -> None:
    lowered = page.lower()
    for banned in ("<script", "<link", "<img", "<iframe", "<object", "<embed", "@import",
                   "url(http", "url(//"):
        assert banned not in lowered, banned
    refs = re.findall(r'\b(?:src|href|xlink:href|action|poster|data)\s*=\s*"([^"]*)"', page)
    assert all(r.startswith("#") for r in refs), [r for r in refs if not r.startswith("#")]
    [csp] = Elements(page).find(**{"http-equiv": "Content-Security-Policy"})
    assert "default-src 'none'" in (csp["content"] or "")


# ------------------------------------------------------------------ status page data


def test_state_follows_share_of_customers_without_the_service():
    assert state_of(0.0) == OPERATIONAL
    assert state_of(0.05) == DEGRADED
    assert state_of(0.10) == PARTIAL
    assert state_of(0.49) == PARTIAL
    assert state_of(0.5) == MAJOR
    assert state_of(1.0) == MAJOR


def test_status_page_of_the_capacity_short_drill(drill):
    result, sc = drill
    page = status_page(result, sc)
    inc = result.incidents[0]
    assert page.worst_s == inc.start_s  # everyone lost every service at 10:42
    assert {s.service: s.state for s in page.at_worst} == dict.fromkeys(sc.services, MAJOR)
    assert {s.service: s.state for s in page.at_end} == dict.fromkeys(sc.services, OPERATIONAL)
    [shown] = page.incidents
    assert [(u.status, u.time_s) for u in shown.updates] == expected_updates(result)
    assert shown.resolved
    text = {(u.status, u.time_s - inc.start_s): u.message for u in shown.updates}
    assert text["Investigating", 120] == (
        "We are investigating an outage: Cloud fax, Web portal, Voice calling and Voicemail "
        "are unavailable to all customers.")
    assert text["Identified", 1620] == (
        "The cause has been identified: a hardware failure in our New York datacenter. We are "
        "moving the affected customers to our Chicago co-location.")
    assert "some of the affected customers from our Chicago co-location" in text["Update", 10620]
    # fax-legacy comes back in New York: no backup site named
    assert text["Update", 51480].startswith("Service has been restored for some of the "
                                            "affected customers. ")
    # at 01:00 enterprise + smb-central (4,500 of 10,400) are still in Chicago: some
    assert "Some customers served from our Chicago co-location will be moved back" \
        in text["Maintenance", 51480]
    assert text["Monitoring", 55780].startswith(
        "Service has been restored for the remaining affected customers. Every customer has "
        "basic service again.")


def test_status_page_of_the_default_drill_speaks_of_some_customers():
    """Pods 3 and 4 lost: 4,500 of 10,000 voice customers, 1,500 of 7,000 voicemail and
    portal customers — 'some' throughout; one update per batch moved to Chicago."""
    sc = load_scenario(DEFAULT)
    for seed in range(5):
        result = simulate(sc, seed=seed)
        [inc] = result.incidents
        [shown] = status_page(result, sc).incidents
        assert [u.status for u in shown.updates] == ["Investigating", "Identified", "Update",
                                                     "Monitoring", "Maintenance", "Resolved"]
        msg = {u.status: u.message for u in shown.updates}
        assert msg["Investigating"] == ("We are investigating an outage: Web portal, Voice "
                                        "calling and Voicemail are unavailable to some "
                                        "customers.")
        assert "a hardware failure in our New York datacenter" in msg["Identified"]
        assert msg["Update"].startswith("Service has been restored for some of the affected "
                                        "customers from our Chicago co-location.")
        assert "the remaining affected customers from our Chicago co-location" \
            in msg["Monitoring"]
        assert "Voicemail is still unavailable to some customers" in msg["Monitoring"]
        assert "Some customers served from our Chicago co-location" in msg["Maintenance"]
        ends = {g: i.end_s for i in result.intervals if i.what == "basic"
                for g in [i.subject]}
        times = [u.time_s for u in shown.updates]
        assert times[2:4] == [ends["smb-central"], ends["consumer"]]  # one per batch
        first_failback = min(s.start_s for s in result.steps if s.runbook == "failback")
        assert times[4] == first_failback and times[5] == inc.end_s


def test_status_page_says_all_customers_when_it_is_all():
    sc = load_scenario(ROOT / "scenarios" / "no-backup-site.yaml")
    result = simulate(sc)
    [shown] = status_page(result, sc).incidents
    assert [u.status for u in shown.updates] == ["Investigating", "Identified", "Monitoring",
                                                 "Resolved"]
    msg = {u.status: u.message for u in shown.updates}
    assert "are unavailable to all customers." in msg["Investigating"]
    assert "some" not in msg["Investigating"]
    assert "Our engineers are working to restore service." in msg["Identified"]
    assert msg["Monitoring"].startswith("Service has been restored for all affected customers.")


@pytest.mark.parametrize("path", sorted((ROOT / "scenarios").rglob("*.yaml")),
                         ids=lambda p: str(p.relative_to(ROOT / "scenarios")))
def test_no_internal_id_in_any_status_update(path):
    """Customers never read a runbook, step, role or component id."""
    sc = load_scenario(path)
    banned = set(sc.runbooks) | set(sc.staff) | {s.id for rb in sc.runbooks.values()
                                                 for s in rb.steps}
    banned |= {c for site in sc.sites.values() for c in site.components}
    # an id that is also a word of a display name customers see ("backbone") is fair
    shown = [x.name or "" for table in (sc.sites, sc.services, sc.customers)
             for x in table.values()]
    banned -= {w for name in shown for w in re.findall(r"[A-Za-z0-9_-]+", name)}
    for seed in range(3):
        result = simulate(sc, seed=seed)
        for inc in status_page(result, sc).incidents:
            for u in inc.updates:
                words = set(re.findall(r"[A-Za-z0-9_-]+", u.message))
                assert not words & banned, (u.message, words & banned)
            # back and resolved in one instant: a single Resolved update, no Monitoring
            at = {(u.status, u.time_s) for u in inc.updates}
            assert not {("Monitoring", t) for s, t in at if s == "Resolved"} & at


def test_uptime_per_day_is_customer_weighted(drill):
    result, sc = drill
    days = uptime_by_day(result, sc, "voice")
    assert [d.day.strftime("%a %d %H:%M") for d in days] == ["Tue 10 09:00", "Wed 11 00:00",
                                                             "Thu 12 00:00"]
    assert days[0].end_s - days[0].start_s == 15 * 3600
    # Tue: enterprise + smb-central (4,500 of 10,000) down 2h 57m, smb-east + consumer
    # (5,500) down from 10:42 to midnight (13h 18m)
    outage = (4500 * 10620 + 5500 * 47880) / 10000
    assert days[0].availability == pytest.approx(1 - outage / 54000)
    # Wed: smb-east + consumer back at 02:11:40
    assert days[1].availability == pytest.approx(1 - 0.55 * 7900 / 86400)
    assert days[2].availability == 1.0


def test_a_drill_without_incident_shows_all_operational():
    sc = load_scenario(ROOT / "scenarios" / "active-active.yaml")
    result = simulate(sc)
    page = status_page(result, sc)
    assert page.worst_s is None and page.incidents == ()
    assert {s.state for s in page.at_end} == {OPERATIONAL}
    html = render_run_report(result, sc)
    assert "No incidents reported during the drill." in html
    assert "All systems operational" in html


# ------------------------------------------------------------------ the page itself


def test_run_report_sections_and_status_page(drill, drill_html):
    result, sc = drill
    for section in ("summary", "story", "timeline", "status"):
        assert f'<section id="{section}"' in drill_html
    assert drill_html.count("<svg") == 3  # timeline, status strips, topology
    cells = status_cells(drill_html)
    assert cells["voice", "worst"] == MAJOR and cells["voice", "end"] == OPERATIONAL
    assert updates_shown(drill_html) == expected_updates(result)
    assert "3 of 4 objectives breached" in drill_html
    assert drill_html.count('class="bar ') == 3 * len(sc.services)
    assert "Both New York core switches fail" in drill_html  # the event table
    assert "a hardware failure in our New York datacenter" in drill_html  # the status page
    assert "Tue 10 Mar 10:44:00" in drill_html  # events with wall-clock times


def test_run_report_is_self_contained(drill_html):
    assert_self_contained(drill_html)


def hostile_scenario() -> Scenario:
    data = yaml.safe_load(SHORT.read_text(encoding="utf-8"))
    data["name"] = f"{EVIL} {QUOTES}"
    data["description"] = f"{EVIL} and {QUOTES}"
    data["services"]["voice"]["name"] = f'Voice {EVIL} "quoted"'
    data["sites"]["nyc"]["name"] = EVIL
    data["customers"]["consumer"]["name"] = f"{EVIL}'"
    data["runbooks"]["failover"]["description"] = f"{EVIL} \"'"
    data["disruptions"][0]["description"] = f'{EVIL}"><img src=x onerror=alert(2)>'
    return validate(load_text(yaml.safe_dump(data, sort_keys=False), "<hostile>"))


def test_every_name_from_the_scenario_is_escaped():
    sc = hostile_scenario()
    page = render_run_report(simulate(sc), sc)
    assert EVIL not in page
    assert "<script" not in page.lower() and "<img" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    tags = Elements(page)
    titles = [a["title"] for a in tags.find() if a.get("title")]
    assert any('Voice <script>alert(1)</script> "quoted"' in t for t in titles)  # intact
    assert_self_contained(page)


def test_figures_are_inline_svg_with_unique_ids(drill_html):
    ids = re.findall(r'\bid="([^"]+)"', drill_html)
    assert len(ids) == len(set(ids))
    assert "<?xml" not in drill_html and "<!DOCTYPE svg" not in drill_html


@pytest.fixture(scope="module")
def trials():
    sc = load_scenario(ROOT / "scenarios" / "random-failures-year.yaml")
    return run_trials(sc, 12, 3, workers=1)


def test_monte_carlo_report_content(trials):
    summary = trials.summary()
    page = render_trials_report(trials, summary)
    assert_self_contained(page)
    for section in ("summary", "objectives", "distributions", "worst"):
        assert f'<section id="{section}"' in page
    for p in summary.proportions:
        if p.name.startswith("met."):
            assert f'data-proportion="{p.name}"' in page
    assert page.count("<svg") >= 4  # RTO basic/full, downtime, customer-minutes (+ RPO)
    shown = [int(t) for t in re.findall(r'<tr data-trial="(\d+)">', page)]
    frame = trials.frame.sort_values(["customer_minutes_lost", "trial"],
                                     ascending=[False, True])
    assert shown == [int(t) for t in frame["trial"][:5]]
    worst = frame.iloc[0]
    assert format_value("customer_minutes_lost", worst["customer_minutes_lost"]) in page
    assert 'data-metric="rto_basic_s"' in page
    assert "12 of 12 trials (complete)" in page


# ------------------------------------------------------------------ drsim run --report


def test_run_writes_a_report_and_refuses_to_overwrite(tmp_path):
    out = tmp_path / "report.html"
    res = runner.invoke(app, ["run", "--report", str(out), "--no-timeline"])
    assert res.exit_code == 0, res.output
    assert "Report written to" in res.output
    first = out.read_text(encoding="utf-8")
    assert '<section id="status"' in first
    out.write_text("keep me", encoding="utf-8")
    res = runner.invoke(app, ["run", "--report", str(out)])
    assert res.exit_code == 2 and "already exists" in res.output
    assert out.read_text(encoding="utf-8") == "keep me"
    res = runner.invoke(app, ["run", "--report", str(out), "--force", "--no-timeline"])
    assert res.exit_code == 0, res.output
    assert out.read_text(encoding="utf-8") == first  # same seed, same report
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # no temp file left


def test_run_checks_the_report_path_before_simulating(tmp_path):
    (tmp_path / "a-file").write_text("x")
    res = runner.invoke(app, ["run", "--report", str(tmp_path / "a-file" / "sub" / "r.html")])
    assert res.exit_code == 2
    assert "is a file, not a folder" in res.output
    assert "Incident 1" not in res.output  # nothing was simulated
    assert [p.name for p in tmp_path.iterdir()] == ["a-file"]


def test_run_outputs_create_missing_parent_folders(tmp_path):
    """--report, --json and --out make the folders they need (like mkdir -p); a second run
    into the same --out folder still needs --force."""
    report, js = tmp_path / "r" / "s" / "report.html", tmp_path / "j" / "result.json"
    res = runner.invoke(app, ["run", "--report", str(report), "--json", str(js), "--no-timeline"])
    assert res.exit_code == 0, res.output
    assert '<section id="status"' in report.read_text(encoding="utf-8")
    assert json.loads(js.read_text())["seed"] == 7  # the bundled drill's seed
    out = tmp_path / "results" / "year"
    args = ["run", str(ROOT / "scenarios" / "warm-standby.yaml"), "--trials", "3",
            "--workers", "1", "--out", str(out), "--allow-breach"]  # a breach exits 1
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "summary.json",
                                                      "trials.parquet"]
    assert [p.name for p in out.parent.iterdir()] == ["year"]  # no temporary folder left
    res = runner.invoke(app, args)
    assert res.exit_code == 2 and "--force" in res.output


def test_run_trials_writes_a_monte_carlo_report(tmp_path):
    out = tmp_path / "mc.html"
    res = runner.invoke(app, ["run", str(ROOT / "scenarios" / "random-failures-year.yaml"),
                              "--trials", "6", "--workers", "1", "--report", str(out),
                              "--allow-breach"])
    assert res.exit_code == 0, res.output
    page = out.read_text(encoding="utf-8")
    assert "The five worst trials" in page and page.count('<tr data-trial="') == 5


# ------------------------------------------------------------------ in a real browser

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian's chromium is not installed (/usr/bin/chromium); .ci/run installs it "
           "with apt-get install chromium")


def chromium(tmp_path: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Headless Chromium, console messages logged to stderr (lines with ':CONSOLE')."""
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    cmd = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
           "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
           *args, url]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True)


def console_errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines()
            if ":CONSOLE" in line or "Uncaught" in line]


@needs_chromium
def test_console_capture_catches_errors_and_blocked_requests(tmp_path):
    """The control: a page that throws and tries the network must be caught, else the
    browser test below could not see errors at all."""
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><html><body><p>x</p><script>null.x;</script>"
                   "</body></html>", encoding="utf-8")
    assert any("Uncaught" in e for e in console_errors(
        chromium(tmp_path, bad.as_uri(), "--dump-dom").stderr))
    blocked = tmp_path / "blocked.html"
    blocked.write_text('<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" '
                       'content="default-src \'none\'"></head><body>'
                       '<img src="https://example.invalid/x.png"></body></html>',
                       encoding="utf-8")
    assert any("Content Security Policy" in e for e in console_errors(
        chromium(tmp_path, blocked.as_uri(), "--dump-dom").stderr))


def status_only(page: str) -> str:
    """The report with everything but the status page hidden (for its screenshot)."""
    return page.replace("</style>", "body > header, nav, main > section:not(#status) "
                                    "{ display: none; }\n</style>", 1)


@needs_chromium
def test_report_in_headless_chromium(tmp_path, drill, drill_html):
    result, _ = drill
    report = tmp_path / "report.html"
    report.write_text(drill_html, encoding="utf-8")
    dom = chromium(tmp_path, report.as_uri(), "--dump-dom")
    assert console_errors(dom.stderr) == []
    rendered = dom.stdout
    assert "</html>" in rendered and '<section id="status"' in rendered
    assert_self_contained(rendered)
    cells = status_cells(rendered)
    assert cells["voice", "worst"] == MAJOR and cells["voice", "end"] == OPERATIONAL
    assert updates_shown(rendered) == expected_updates(result)

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report-default-drill.png"
    run = chromium(tmp_path, report.as_uri(), f"--screenshot={shot}", "--window-size=1280,4000")
    assert console_errors(run.stderr) == []
    assert_painted(shot)
    status = tmp_path / "status.html"
    status.write_text(status_only(drill_html), encoding="utf-8")
    status_shot = ARTIFACTS / "status-page.png"
    run = chromium(tmp_path, status.as_uri(), f"--screenshot={status_shot}",
                   "--window-size=1060,1700", "--hide-scrollbars")
    assert console_errors(run.stderr) == []
    assert_painted(status_shot)


def assert_painted(png: Path) -> None:
    """The screenshot shows the page: the status page's red and green banners are there."""
    from PIL import Image

    with Image.open(png) as img:
        colours = {rgb for _, rgb in img.convert("RGB").getcolors(1 << 24) or ()}
    assert (0xD8, 0x36, 0x3B) in colours  # Major outage
    assert (0x2E, 0x9E, 0x5B) in colours  # Operational


def test_artifacts_folder_is_ignored_by_git():
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    res = subprocess.run(["git", "check-ignore", "-q", "tests/artifacts/x.png"], cwd=ROOT)
    assert res.returncode == 0
