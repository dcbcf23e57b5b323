"""Every number explains itself: cause chains of outages and waiting steps, computed by hand.

The drill below is the issue's complaint made small: New York's servers fail at 10:02, the
failover moves everyone to Chicago, which holds 5,000 customers; enterprise (3,000, priority
1) and smb (1,500, priority 2) fit, consumer (1,000, priority 3) does not; the failback waits
for the 23:00 window. Times are seconds since Tue 10 Mar 2026 09:00 UTC.
"""

from __future__ import annotations

import json

import pytest
from conftest import parse
from typer.testing import CliRunner

from drsim.cli import app
from drsim.cli.explain import parse_at
from drsim.errors import DrsimError
from drsim.recorder import Cause, PendingStep, Why
from drsim.report.text import why_lines
from drsim.report.why import Explainer
from drsim.sim.engine import simulate

H, M = 3600.0, 60.0
runner = CliRunner()

WHY = """
drsim: 1
name: why
simulation: {{start: "2026-03-10T09:00", timezone: UTC, horizon: {horizon}, seed: 3}}
sites:
  nyc:
    components:
      box: {{count: 1, ttr: {ttr}{box}}}
  chi: {{capacity: 5000, components: {{box: {{count: 1, ttr: 1h}}}}}}
links:
  nyc-chi: {{a: nyc, b: chi, latency: 10ms, bandwidth: 1Gbps}}
services:
  voice: {{requires: [box], active: [nyc], standby: {{sites: [chi], mode: cold}}}}
customers:
  enterprise: {{count: 3000, access: nyc, home: nyc, services: [voice], priority: 1}}
  smb: {{count: 1500, access: nyc, home: nyc, services: [voice], priority: 2}}
  consumer: {{count: 1000, access: nyc, home: nyc, services: [voice], priority: 3}}
staff:
  eng: {{count: 1, shift: {shift}, callout: 45m}}
detection: {{interval: 5m, failed_checks: 2, ack_delay: 4m, declare_delay: 6m}}
maintenance_windows:
  night: {{days: all, hours: "23:00-02:00"}}
runbooks:
  failover:
    steps:
      - {{id: prepare, duration: 10m, roles: {roles}}}
      - id: switch
        after: [prepare]
        duration: 15m
        effects:
          - activate: {{service: voice, site: chi}}
          - move: {{groups: all, to: chi}}
  failback:
    trigger: {{after: failover}}
    steps:
      - id: back
        duration: 5m
        requires: {{site_healthy: [nyc], window: night}}
        effects:
          - move: {{groups: all, to: home}}
          - deactivate: {{service: voice, site: chi}}
disruptions:
  - {{id: fault, at: {at}, targets: [{{component: nyc.box}}], until: repaired}}
"""

FULL = ("full", "chi", "chi is full (capacity 5,000: enterprise 3,000 + smb 1,500 ahead by "
        "priority; consumer needs 1,000)")
BOX_DOWN = ("component", "nyc.box", "box at nyc: 0 of 1 units up, needs 1")


def scenario(**kw: object):
    values = dict(horizon="2d", ttr="3h", box="", shift="24x7", roles="[]", at="1h2m")
    values.update({k: str(v) for k, v in kw.items()})
    return parse(WHY.format(**values))


def run(**kw: object):
    sc = scenario(**kw)
    return sc, simulate(sc)


def whys(result, subject, what):
    return [(w.start_s, w.end_s, [(c.kind, c.subject, c.detail) for c in w.chain])
            for w in result.whys if w.subject == subject and w.what == what]


def test_consumer_stays_down_because_chicago_is_full_until_the_window():
    _, r = run()
    # fault 10:02 (1h2m); alert 10:10, ack 10:14, declared 10:20; prepare 10:20-10:30,
    # switch 10:30-10:45 → everyone pointed at chi; chi holds 3,000 + 1,500 = 4,500 of 5,000,
    # consumer's 1,000 would make 5,500. Failback 'back' waits for the 23:00 window (14h),
    # runs 23:00-23:05 → consumer served at home from 23:05.
    assert whys(r, "consumer", "voice") == [
        (1 * H + 2 * M, 1 * H + 45 * M, [BOX_DOWN]),
        (1 * H + 45 * M, 14 * H + 5 * M, [FULL])]
    assert whys(r, "enterprise", "voice") == [(1 * H + 2 * M, 1 * H + 45 * M, [BOX_DOWN])]
    # the down component says since when
    first = next(w for w in r.whys if w.subject == "consumer" and w.what == "voice")
    assert first.chain[0].since_s == 1 * H + 2 * M
    assert [i for i in r.outages if i.subject == "consumer"][0].end_s == 14 * H + 5 * M


def test_steps_record_what_they_waited_for_and_until_when():
    _, r = run()
    # switch waits for prepare 10:20-10:30; back waits for the window 10:45 → 23:00
    assert whys(r, "failover.switch", "start") == [
        (1 * H + 20 * M, 1 * H + 30 * M, [("after", "failover.prepare",
                                           "failover.prepare to finish")])]
    [(start, end, chain)] = whys(r, "failback.back", "start")
    assert (start, end, chain) == (1 * H + 45 * M, 14 * H,
                                   [("window", "night", "maintenance window night")])
    window = next(w for w in r.whys if w.subject == "failback.back").chain[0]
    assert window.until_s == 14 * H  # opens 23:00
    assert r.pending == ()


def test_not_fully_recovered_says_away_from_home_and_what_is_down():
    _, r = run()
    # enterprise is served from chi 10:45-23:05; nyc's box is down 10:02-13:02 (ttr 3h)
    spans = whys(r, "enterprise", "full")
    assert spans[0] == (1 * H + 2 * M, 1 * H + 45 * M, [
        ("unserved", "voice", "voice is not served"),
        ("redundancy", "nyc.box", "box at nyc: 1 of 1 units down")])
    assert spans[1] == (1 * H + 45 * M, 4 * H + 2 * M, [
        ("not_home", "enterprise", "enterprise is pointed at chi, its home is nyc"),
        ("away", "voice@chi", "voice is served from chi"),
        ("redundancy", "nyc.box", "box at nyc: 1 of 1 units down")])
    assert spans[2][:2] == (4 * H + 2 * M, 14 * H + 5 * M)


def test_why_was_consumer_down_at_noon():
    sc, r = run()
    lines = Explainer(r, sc).group("consumer", 3 * H)  # 12:00
    assert lines == [
        "consumer lacked voice at Tue 12:00:",
        "  voice (since Tue 10:45):",
        "    " + FULL[2],
        "  what would bring it back, and what that waits for:",
        "    failback.back waits for maintenance window night (opens Tue 23:00)"]


def test_why_before_the_failover_names_the_component_and_the_runbook_not_yet_started():
    sc, r = run()
    lines = Explainer(r, sc).group("consumer", 1 * H + 15 * M)  # 10:15: not declared yet
    assert lines == [
        "consumer lacked voice at Tue 10:15:",
        "  voice (since Tue 10:02):",
        "    box at nyc: 0 of 1 units up, needs 1 since Tue 10:02",
        "  what would bring it back, and what that waits for:",
        "    runbook failover had not started (it starts when a disaster is declared; it did "
        "at Tue 10:20)",
        "    runbook failback had not started (it starts when runbook failover completes; it "
        "did at Tue 10:45)"]


def test_a_group_with_service_at_that_time_says_so():
    sc, r = run()
    assert Explainer(r, sc).group("consumer", 30 * M) == ["consumer had full service at Tue "
                                                          "09:30."]


def test_the_story_tells_each_outage_phase_by_phase():
    sc, r = run()
    lines = why_lines(r, sc)
    assert lines[0] == "Why:"
    consumer = lines.index("consumer had no basic service from Tue 10:02 to Tue 23:05 "
                           "(13h 03m):")
    assert lines[consumer + 1:consumer + 3] == [
        "  from Tue 10:02, voice: box at nyc: 0 of 1 units up, needs 1 since Tue 10:02; "
        "waiting on runbook failover had not started (it starts when a disaster is declared; "
        "it did at Tue 10:20)",
        f"  from Tue 10:45, voice: {FULL[2]}; waiting on failback.back waits for maintenance "
        "window night (opens Tue 23:00)"]
    # and what brought it back: the step whose effect did it, and the steps that set its
    # time (back was ready at 10:45, when the failback started, and waited for the window)
    assert lines[consumer + 3] == (
        "  back when failback.back finished at Tue 23:05; the steps that set that: "
        "failback.back Tue 23:00–Tue 23:05 (waited 12h 15m: maintenance window night (opens "
        "Tue 23:00))")
    enterprise = lines.index("enterprise had no basic service from Tue 10:02 to Tue 10:45 "
                             "(43m):")
    assert lines[enterprise + 2] == (
        "  back when failover.switch finished at Tue 10:45; the steps that set that: "
        "failover.prepare Tue 10:20–Tue 10:30, failover.switch Tue 10:30–Tue 10:45")
    assert "Not finished at the horizon:" not in lines


def test_a_group_back_by_repair_names_the_repair():
    # no runbook moves anyone: a 30 min box fault ends with the repair (ttr 30m) at 10:32
    sc = parse(WHY.format(horizon="1d", ttr="30m", box="", shift="24x7", roles="[]",
                          at="1h2m").split("runbooks:")[0]
               + "disruptions:\n  - {id: f, at: 1h2m, targets: [{component: nyc.box}], "
                 "until: repaired}\n")
    r = simulate(sc)
    lines = Explainer(r, sc).outages()
    assert lines[:3] == [
        "consumer had no basic service from Tue 10:02 to Tue 10:32 (30m):",
        "  from Tue 10:02, voice: box at nyc: 0 of 1 units up, needs 1 since Tue 10:02",
        "  back at Tue 10:32 when nyc.box was up again (repaired)"]


def test_steps_still_waiting_at_the_horizon_are_listed_with_their_reason():
    # a 12 h drill ends at 21:00: the failback never starts (window opens 23:00), and consumer
    # is still down, because chi is full
    sc, r = run(horizon="12h")
    assert r.pending == (PendingStep("failback", "back", "waiting", 1 * H + 45 * M, ""),)
    open_why = [w for w in r.whys if w.end_s is None]
    assert Why("consumer", "voice", 1 * H + 45 * M, None, (Cause(*FULL),)) in open_why
    lines = why_lines(r, sc)
    assert lines[-3:] == [
        "Not finished at the horizon:",
        "failback.back never started (ready since Tue 10:45): waits for maintenance window "
        "night (opens Tue 23:00)", ""]
    assert "consumer had no basic service from Tue 10:02 to the horizon (10h 58m):" in lines


def test_a_runbook_that_never_started_is_listed():
    # the fault at 20:50 (11h50m) would be declared at 21:05, after the 12 h drill ends
    sc, r = run(horizon="12h", at="11h50m")
    # checks at 20:50 (sees it), 20:55 → alert 20:55, ack 20:59, declaration due 21:05
    assert r.incidents[0].declared_s is None
    # (failback follows failover, which never ran: nothing to say about it)
    assert r.pending == (PendingStep("failover", "", "not started", 11 * H + 50 * M,
                                     "it starts when a disaster is declared, which had not "
                                     "happened"),)
    assert "runbook failover never started: it starts when a disaster is declared, which had " \
           "not happened" in why_lines(r, sc)


def test_a_step_waiting_for_a_busy_person_names_who_holds_them():
    # eng (one person) repairs nyc.box from 10:02 for 3 h; prepare (needs eng) is ready at the
    # declaration, 10:20, and waits until eng is free at 13:02
    _, r = run(box=", repair_role: eng", roles="[eng]")
    assert whys(r, "failover.prepare", "start") == [
        (1 * H + 20 * M, 4 * H + 2 * M,
         [("staff", "eng", "all 1 of role eng busy (eng#1 on nyc.box (repair of unit 1))")])]


def test_a_repair_waiting_for_a_spare_says_when_it_is_due():
    # no spare in stock; one arrives 5 h after the fault (15:02); then 3 h of repair → 18:02
    sc, r = run(box=", spare: {stock: 0, lead_time: 5h}")
    [(start, end, chain)] = whys(r, "nyc.box", "repair of unit 1")
    assert (start, end, chain) == (1 * H + 2 * M, 6 * H + 2 * M, [
        ("spare", "nyc.box", "no spare box in stock at nyc")])
    spare = next(w for w in r.whys if w.subject == "nyc.box").chain[0]
    assert (spare.since_s, spare.until_s) == (1 * H + 2 * M, 6 * H + 2 * M)
    # and the group's answer follows the down component to its repair's wait
    lines = Explainer(r, sc).group("consumer", 1 * H + 15 * M)
    assert lines[2:4] == [
        "    box at nyc: 0 of 1 units up, needs 1 since Tue 10:02",
        "      repair of nyc.box unit 1: no spare box in stock at nyc (next delivery due Tue "
        "15:02) since Tue 10:02"]


def test_an_off_shift_person_is_called_out():
    # fault 20:00 (11h): declared 20:15 (checks 20:00, 20:05; +4m +6m); eng is off shift
    # (business hours) and arrives after the 45 min call-out, 21:00
    _, r = run(shift="business_hours", roles="[eng]", at="11h")
    assert whys(r, "failover.prepare", "start") == [
        (11 * H + 15 * M, 12 * H, [("callout", "eng#1", "eng#1 (eng) is off shift, called out")])]


def test_why_did_a_step_start_late():
    sc, r = run()
    assert Explainer(r, sc).step("failback.back") == [
        "failback.back: ok; started Tue 23:00, ended Tue 23:05",
        "  Tue 10:45–Tue 23:00 waits to start:",
        "    waits for maintenance window night (opens Tue 23:00)"]
    # switch waited for prepare: the steps before it say what that time went on
    assert Explainer(r, sc).step("failover.switch") == [
        "failover.switch: ok; started Tue 10:30, ended Tue 10:45",
        "  Tue 10:20–Tue 10:30 waits to start:",
        "    waits for failover.prepare to finish",
        "  the steps before it that set its start:",
        "    failover.prepare Tue 10:20–Tue 10:30"]
    assert Explainer(r, sc).step("failover.prepare") == [
        "failover.prepare: ok; started Tue 10:20, ended Tue 10:30",
        "  it started as soon as it was ready: nothing held it up"]


def test_a_link_cut_says_there_is_no_path():
    sc = parse(WHY.format(horizon="1d", ttr="3h", box="", shift="24x7", roles="[]", at="1h")
               .replace("access: nyc, home: nyc", "access: pop, home: nyc")
               .replace("links:\n", "access_points:\n  pop: {}\nlinks:\n  pop-nyc: {a: pop, "
                                    "b: nyc, latency: 1ms, bandwidth: 1Gbps}\n")
               .replace("targets: [{component: nyc.box}], until: repaired",
                        "targets: [{link: pop-nyc}], duration: 30m"))
    r = simulate(sc)
    # the only path from pop runs over pop-nyc, cut 10:00-10:30 (chi is not active yet).
    # Alert 10:05, declared 10:15, failover 10:15-10:40 goes on after the link is back and
    # points everyone at chi, where consumer does not fit, until the failback at 23:05.
    assert whys(r, "consumer", "voice") == [
        (1 * H, 1 * H + 30 * M, [("unreachable", "nyc",
                                  "no network path from pop to nyc (links down: pop-nyc)")]),
        (1 * H + 40 * M, 14 * H + 5 * M, [FULL])]


def test_json_carries_the_causes_and_pending_steps(tmp_path):
    sc_file = tmp_path / "why.yaml"
    sc_file.write_text(WHY.format(horizon="12h", ttr="3h", box="", shift="24x7", roles="[]",
                                  at="1h2m"))
    out = tmp_path / "r.json"
    res = runner.invoke(app, ["run", str(sc_file), "--json", str(out), "--allow-breach"])
    assert res.exit_code == 0, res.output
    doc = json.loads(out.read_text())
    assert {"subject": "failback.back", "what": "start", "start_s": 1 * H + 45 * M,
            "end_s": None, "chain": [{"kind": "window", "subject": "night",
                                      "detail": "maintenance window night", "since_s": None,
                                      "until_s": 14 * H}]} in doc["causes"]
    assert doc["pending_steps"] == [{"runbook": "failback", "step": "back", "state": "waiting",
                                     "since_s": 1 * H + 45 * M, "detail": ""}]
    assert "Why:" in res.output and "Not finished at the horizon:" in res.output


# ---- drsim explain ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    d = tmp_path_factory.mktemp("explain")
    sc_file = d / "why.yaml"
    sc_file.write_text(WHY.format(horizon="2d", ttr="3h", box="", shift="24x7", roles="[]",
                                  at="{uniform: {low: 1h, high: 2h}}"))
    res = runner.invoke(app, ["run", str(sc_file), "-n", "6", "-j", "1", "-o", str(d / "out"),
                              "--allow-breach"])
    assert res.exit_code == 0, res.output
    return sc_file, d / "out"


def test_explain_a_trial_of_a_results_folder_is_that_trial(folder):
    sc_file, out = folder
    direct = runner.invoke(app, ["explain", str(sc_file), "--trial", "4"])
    from_folder = runner.invoke(app, ["explain", str(out), "--trial", "4"])
    assert direct.exit_code == from_folder.exit_code == 0
    assert from_folder.output == direct.output
    other = runner.invoke(app, ["explain", str(sc_file), "--trial", "5"])
    # trials 4 and 5 draw different fault times, so their stories differ
    assert other.output != direct.output
    assert direct.output.startswith("consumer had no basic service from Tue 10:")


def test_explain_group_at_and_step(folder):
    sc_file, _ = folder
    res = runner.invoke(app, ["explain", str(sc_file), "--group", "consumer", "--at", "15:00"])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[0] == "consumer lacked voice at Tue 15:00:"
    assert lines[2:] == ["    " + FULL[2], "  what would bring it back, and what that waits for:",
                         "    failback.back waits for maintenance window night (opens Tue 23:00)"]
    step = runner.invoke(app, ["explain", str(sc_file), "--step", "failback.back"])
    assert step.output.splitlines()[0] == "failback.back: ok; started Tue 23:00, ended Tue 23:05"
    whole = runner.invoke(app, ["explain", str(sc_file), "--group", "consumer"])
    assert whole.output.splitlines()[0].startswith("consumer had no basic service from Tue ")
    assert " to Tue 23:05 (" in whole.output.splitlines()[0]
    assert all(not line.startswith(("enterprise", "smb")) for line in whole.output.splitlines())


@pytest.mark.parametrize(("args", "message"), [
    (["--step", "failback.bak"], "error: --step failback.bak: no such step; steps are "
                                 "'runbook.step' (did you mean 'failback.back'?)"),
    (["--group", "consumers"], "error: --group consumers: no such customer group; known: "
                               "consumer, enterprise, smb (did you mean 'consumer'?)"),
    (["--group", "consumer", "--at", "25:00"], "error: --at 25:00: not a time"),
    (["--group", "consumer", "--at", "+3d"], "error: --at +3d: outside the drill"),
])
def test_explain_refuses_bad_names_and_times(folder, args, message):
    sc_file, _ = folder
    res = runner.invoke(app, ["explain", str(sc_file), *args])
    assert res.exit_code == 2
    assert res.output.startswith(message) and len(res.output.splitlines()) == 1


def test_explain_a_folder_needs_a_trial_and_its_own_scenario(folder, tmp_path):
    sc_file, out = folder
    res = runner.invoke(app, ["explain", str(out)])
    assert res.exit_code == 2 and "needs --trial N" in res.output
    res = runner.invoke(app, ["explain", str(out), "--trial", "9"])
    assert res.exit_code == 2 and "has trials 0–5" in res.output
    changed = tmp_path / "changed.yaml"
    changed.write_text(sc_file.read_text().replace("capacity: 5000", "capacity: 6000"))
    res = runner.invoke(app, ["explain", str(out), "--trial", "1", "--scenario", str(changed)])
    assert res.exit_code == 2 and "is not the scenario the run" in res.output
    empty = tmp_path / "empty"
    empty.mkdir()
    res = runner.invoke(app, ["explain", str(empty), "--trial", "1"])
    assert res.exit_code == 2 and res.output == (f"error: {empty}: no manifest.json there, so "
                                                 "not a results folder; write one with drsim "
                                                 "run --trials N --out DIR\n")


@pytest.mark.parametrize(("text", "seconds"), [("+6h", 6 * H), ("12:00", 3 * H),
                                               ("08:30", 23.5 * H),
                                               ("2026-03-10T15:30", 6.5 * H),
                                               ("2026-03-10T15:30+01:00", 5.5 * H)])
def test_at_accepts_offsets_clock_times_and_iso(text, seconds):
    sc = scenario()
    origin = simulate(sc).origin
    assert parse_at(text, origin, 2 * 24 * H) == seconds


def test_at_outside_the_drill_is_refused():
    origin = simulate(scenario()).origin
    with pytest.raises(DrsimError, match="outside the drill"):
        parse_at("2026-03-13T09:00", origin, 2 * 24 * H)


def test_the_html_reports_say_why(tmp_path):
    sc_file = tmp_path / "why.yaml"
    sc_file.write_text(WHY.format(horizon="2d", ttr="3h", box="", shift="24x7", roles="[]",
                                  at="1h2m"))
    drill, many = tmp_path / "drill.html", tmp_path / "many.html"
    for args, page in ((["--report", str(drill)], drill),
                       (["-n", "3", "-j", "1", "--report", str(many)], many)):
        res = runner.invoke(app, ["run", str(sc_file), *args, "--allow-breach"])
        assert res.exit_code == 0, res.output
        html = page.read_text()
        why = html[html.index('<pre class="why">'):]
        why = why[:why.index("</pre>")]
        assert "consumer had no basic service from Tue 10:02 to Tue 23:05 (13h 03m):" in why
        assert f"from Tue 10:45, voice: {FULL[2]}; waiting on failback.back" in why


def test_people_at_work_on_a_staged_step_are_named():
    # two engineers both drain prepare's 2 units (10 min each) 10:20-10:30; notify, ready at
    # 10:21 (after a 1 min warm-up), needs an engineer and waits for one until 10:30
    sc = parse(WHY.format(horizon="2d", ttr="3h", box="", shift="24x7", roles="[eng]",
                          at="1h2m")
               .replace("eng: {count: 1,", "eng: {count: 2,")
               .replace("- {id: prepare, duration: 10m, roles: [eng]}",
                        "- {id: prepare, duration: 0s, roles: [eng], staged: {units: 2, "
                        "workers: 2, per_unit: 10m, batch: 2}}\n"
                        "      - {id: warmup, duration: 1m}\n"
                        "      - {id: notify, after: [warmup], duration: 5m, roles: [eng]}"))
    r = simulate(sc)
    assert whys(r, "failover.notify", "start") == [
        (1 * H + 20 * M, 1 * H + 21 * M, [("after", "failover.warmup",
                                           "failover.warmup to finish")]),
        (1 * H + 21 * M, 1 * H + 30 * M, [("staff", "eng", "all 2 of role eng busy (eng#1 on "
                                                           "failover.prepare, eng#2 on "
                                                           "failover.prepare)")])]



HOLD_AND_STAGE = ("- {id: hold, duration: 10m, roles: [eng]}\n      - {id: prepare, duration: 0s, "
                  "roles: [eng], staged: {units: 2, workers: 2, per_unit: 10m, batch: 2}}")


def staged_drill(people: int):
    return simulate(parse(WHY.format(horizon="2d", ttr="3h", box="", shift="24x7",
                                     roles="[eng]", at="1h2m")
                          .replace("eng: {count: 1,", f"eng: {{count: {people},")
                          .replace("- {id: prepare, duration: 10m, roles: [eng]}",
                                   HOLD_AND_STAGE)))


def test_a_staged_step_waits_until_its_first_worker_can_start():
    # one engineer: hold takes eng#1 at the declaration (10:20) for 10 min; prepare's one
    # worker (one person of the role) waits until 10:30
    r = staged_drill(1)
    assert whys(r, "failover.prepare", "start") == [
        (1 * H + 20 * M, 1 * H + 30 * M, [("staff", "eng", "all 1 of role eng busy (eng#1 on "
                                                           "failover.hold)")])]
    staff = next(w for w in r.whys if w.subject == "failover.prepare").chain[0]
    assert staff.since_s == 1 * H + 20 * M


def test_a_staged_step_whose_second_worker_waits_has_started():
    # two engineers: hold takes eng#1, prepare's first worker eng#2 at 10:20; its second
    # worker waits for hold to end, but the step itself started at 10:20: no wait recorded
    r = staged_drill(2)
    assert whys(r, "failover.prepare", "start") == []
    prepare = next(s for s in r.steps if s.step == "prepare")
    assert prepare.start_s == 1 * H + 20 * M


def test_a_callout_says_when_the_person_arrives():
    _, r = run(shift="business_hours", roles="[eng]", at="11h")
    callout = next(w for w in r.whys if w.subject == "failover.prepare").chain[0]
    assert (callout.since_s, callout.until_s) == (11 * H + 15 * M, 12 * H)


@pytest.mark.parametrize(("requires", "cause"), [
    ("{link_up: [nyc-chi]}", ("condition", "nyc-chi", "link nyc-chi up", 1 * H + 2 * M)),
    ("{site_healthy: [nyc]}", ("condition", "nyc", "site nyc fully healthy", 1 * H + 2 * M)),
    ("{site_access: [nyc]}", ("condition", "nyc", "access to site nyc", 1 * H + 2 * M)),
    ("{service_up: [voice@nyc]}", ("condition", "voice@nyc", "service voice@nyc up", None)),
])
def test_each_precondition_says_what_it_waits_for_and_since_when(requires, cause):
    # site nyc and the nyc-chi link are down 10:02-13:02 (3 h); the failback starts when the
    # failover completes, 10:45, and its step waits for its precondition until 13:02
    sc = parse(WHY.format(horizon="2d", ttr="3h", box="", shift="24x7", roles="[]",
                          at="1h2m")
               .replace("requires: {site_healthy: [nyc], window: night}",
                        f"requires: {requires}")
               .replace("targets: [{component: nyc.box}], until: repaired",
                        "targets: [{site: nyc}, {link: nyc-chi}], duration: 3h"))
    r = simulate(sc)
    got = [(s, e, [(c.kind, c.subject, c.detail, c.since_s) for c in w.chain])
           for w in r.whys if w.subject == "failback.back"
           for s, e in [(w.start_s, w.end_s)]]
    assert got == [(1 * H + 45 * M, 4 * H + 2 * M, [cause])]
