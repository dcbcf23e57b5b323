"""Each test of the service rule, as a cause (drsim/sim/causes.py), on a drill built for it.

One site `a` (and `b` where a second is needed), one group, fixed times: every chain below is
what the rule's failing test must say, word for word, and since when.
"""

from __future__ import annotations

from conftest import parse
from test_explain import WHY

from drsim.sim.engine import simulate

H, M = 3600.0, 60.0

ONE = """
drsim: 1
name: causes
simulation: {{start: "2026-03-10T09:00", timezone: UTC, horizon: 1d, seed: 1}}
sites:
  a:
    components:
      box: {{count: 2, needed: 1, ttr: 2h}}
      disk: {{count: 1, ttr: 2h}}
      pod: {{count: 1, ttr: 2h}}
  b:
    components:
      box: {{count: 1, ttr: 2h}}
{extra_sites}
access_points:
  pop: {{}}
links:
  pop-a: {{a: pop, b: a, latency: 5ms, bandwidth: 1Gbps}}
  pop-b: {{a: pop, b: b, latency: 30ms, bandwidth: 1Gbps}}
  a-b: {{a: a, b: b, latency: 9.5ms, bandwidth: 1Gbps}}
services:
{services}
customers:
{customers}
disruptions:
{disruptions}
"""


def run(services: str, customers: str, disruptions: str, extra_sites: str = ""):
    sc = parse(ONE.format(services=services, customers=customers, disruptions=disruptions,
                          extra_sites=extra_sites))
    return simulate(sc)


def chains(result, subject, what):
    return [(w.start_s, w.end_s, [(c.kind, c.subject, c.detail, c.since_s) for c in w.chain])
            for w in result.whys if w.subject == subject and w.what == what]


USERS = "  users: {count: 100, access: pop, home: a, services: [svc]}"


def fault(target: str, at: str = "1h", how: str = "duration: 30m") -> str:
    return f"  - {{id: f, at: {at}, targets: [{target}], {how}}}"


def test_site_down_since_it_went_down():
    r = run("  svc: {requires: [box], active: [a]}", USERS, fault("{site: a}"))
    assert chains(r, "users", "svc") == [(1 * H, 1.5 * H, [
        ("site_down", "a", "site a is down", 1 * H)])]
    # and not fully recovered for the same reason, over the same span
    assert chains(r, "users", "full") == [(1 * H, 1.5 * H, [
        ("unserved", "svc", "svc is not served", None), ("site_down", "a", "site a is down",
                                                         1 * H)])]


def test_both_units_of_a_one_of_two_component_down():
    # box: k 1 of 2; both hit at 1h, repaired 2h later (3h)
    r = run("  svc: {requires: [box], active: [a]}", USERS,
            fault("{component: a.box}", how="until: repaired"))
    assert chains(r, "users", "svc") == [(1 * H, 3 * H, [
        ("component", "a.box", "box at a: 0 of 2 units up, needs 1", 1 * H)])]


def test_one_unit_of_two_down_costs_redundancy_only():
    r = run("  svc: {requires: [box], active: [a]}", USERS,
            fault("{component: a.box, units: 1}", how="until: repaired"))
    assert chains(r, "users", "svc") == []
    assert chains(r, "users", "full") == [(1 * H, 3 * H, [
        ("redundancy", "a.box", "box at a: 1 of 2 units down", 1 * H)])]


def test_corrupted_data_until_restored():
    r = run("  svc: {requires: [box], active: [a]}", USERS,
            fault("{data: svc, site: a}", how="duration: 30m"))
    [(start, end, chain)] = chains(r, "users", "svc")
    assert start == 1 * H and end is None  # nothing restores it in this drill
    assert chain == [("data", "svc@a", "svc data at a corrupted, not yet restored", 1 * H)]


def test_a_same_site_dependency_is_followed_to_its_cause():
    r = run("  db: {requires: [disk], active: [a]}\n"
            "  svc: {requires: [box], depends_on: [db], active: [a]}", USERS,
            fault("{component: a.disk}", how="until: repaired"))
    assert chains(r, "users", "svc") == [(1 * H, 3 * H, [
        ("dependency", "svc@a", "svc at a needs db there", None),
        ("component", "a.disk", "disk at a: 0 of 1 units up, needs 1", 1 * H)])]


def test_a_cross_site_dependency_cut_off_by_the_network():
    # svc at a needs auth at b; the only paths a-b are the a-b link and a-pop-b: both cut
    r = run("  auth: {requires: [box], active: [b]}\n"
            "  svc: {requires: [box], depends_on: [{service: auth, at: b}], active: [a]}",
            USERS, fault("{link: a-b}, {link: pop-b}"))
    assert chains(r, "users", "svc") == [(1 * H, 1.5 * H, [
        ("dependency", "svc@a", "svc at a needs auth at b", None),
        ("unreachable", "b", "no network path from a to b (links down: a-b, pop-b)", 1 * H)])]


def test_a_cross_site_dependency_down_where_it_runs():
    r = run("  auth: {requires: [box], active: [b]}\n"
            "  svc: {requires: [box], depends_on: [{service: auth, at: b}], active: [a]}",
            USERS, fault("{component: b.box}", how="until: repaired"))
    assert chains(r, "users", "svc") == [(1 * H, 3 * H, [
        ("dependency", "svc@a", "svc at a needs auth at b", None),
        ("component", "b.box", "box at b: 0 of 1 units up, needs 1", 1 * H)])]


def test_the_servers_a_group_lives_on():
    r = run("  svc: {requires: [box], active: [a]}",
            "  users: {count: 100, access: pop, home: a, services: [svc], requires: [pod]}",
            fault("{component: a.pod}", how="until: repaired"))
    assert chains(r, "users", "svc") == [(1 * H, 3 * H, [
        ("component", "a.pod", "pod at a: 0 of 1 units up, needs 1 (the servers users lives "
                               "on)", 1 * H)])]


def test_the_network_path_to_the_site_is_cut():
    r = run("  svc: {requires: [box], active: [a]}", USERS,
            fault("{link: pop-a}, {link: pop-b}"))
    assert chains(r, "users", "svc") == [(1 * H, 1.5 * H, [
        ("unreachable", "a", "no network path from pop to a (links down: pop-a, pop-b)",
         1 * H)])]


def test_active_active_the_other_site_is_too_far():
    # svc runs at a and b; a's boxes fail; the nearest way to b is pop-a-b, 5 + 9.5 = 14.5 ms
    # (site a is up: only svc is down there), over svc's 12.5 ms budget
    r = run("  svc: {requires: [box], active: [a, b], latency_budget: 12.5ms}", USERS,
            fault("{component: a.box}", how="until: repaired"))
    assert chains(r, "users", "svc") == [(1 * H, 3 * H, [
        ("component", "a.box", "box at a: 0 of 2 units up, needs 1", 1 * H),
        ("latency", "b", "pop to b takes 14.5 ms, over svc's budget of 12.5 ms", None)])]


def test_no_room_in_a_per_unit_pool_names_who_is_ahead():
    # at b, 1 box × 2,000 customer slots: big (1,500, priority 1) takes its share first;
    # small (800) would make 2,300 → stays out from the start, for the whole day
    sc = parse(ONE.format(
        services="  svc: {requires: [box], active: [b]}",
        customers="  big: {count: 1500, access: pop, home: b, services: [svc], priority: 1}\n"
                  "  small: {count: 800, access: pop, home: b, services: [svc], priority: 2}",
        disruptions="  []", extra_sites="")
        .replace("box: {count: 1, ttr: 2h}", "box: {count: 1, ttr: 2h, serves: 2000}")
        .replace("  b:\n", "  b:\n    capacity: 2300\n"))  # b's own capacity fits both
    r = simulate(sc)
    assert chains(r, "small", "svc") == [(0.0, None, [
        ("no_room", "b", "no room at b: box 1 of 1 units up × 2000 = 2000 customers, 1500 taken "
                         "by groups placed before it, small needs 800 (big 1,500 ahead by "
                         "priority)", None)])]
    assert chains(r, "big", "svc") == []


def test_a_service_not_active_where_the_group_was_moved():
    # consumer also uses vm, active only at nyc: at chi (after the failover at 10:45) it is
    # not active, and consumer is also out of chi's capacity for voice
    sc = parse(WHY.format(horizon="2d", ttr="3h", box="", shift="24x7", roles="[]", at="1h2m")
               .replace("services:\n  voice:", "services:\n  vm: {active: [nyc]}\n  voice:")
               .replace("consumer: {count: 1000, access: nyc, home: nyc, services: [voice]",
                        "consumer: {count: 1000, access: nyc, home: nyc, services: [voice, vm]"))
    r = simulate(sc)
    assert chains(r, "consumer", "vm") == [(1 * H + 45 * M, 14 * H + 5 * M, [
        ("not_active", "vm@chi", "vm is not active at chi", None)])]


def test_a_standby_unit_still_idle_is_named():
    # box: 2 units, 1 needed, 1 of them a standby taking 5 min to switch over: the active unit
    # fails at 1h and service is out until the standby is in service at 1h05m
    sc = parse(ONE.format(services="  svc: {requires: [box], active: [a]}", customers=USERS,
                          disruptions=fault("{component: a.box, units: 1}",
                                            how="until: repaired"), extra_sites="")
               .replace("box: {count: 2, needed: 1, ttr: 2h}",
                        "box: {count: 2, needed: 1, ttr: 2h, standby: {units: 1, "
                        "switchover: 5m}}"))
    r = simulate(sc)
    assert chains(r, "users", "svc") == [(1 * H, 1 * H + 5 * M, [
        ("component", "a.box", "box at a: 0 of 2 units up, needs 1, 1 idle standby not in "
                               "service", 1 * H)])]


def test_a_site_too_small_for_the_group_alone():
    # capacity 50 < the group's 100: full with nobody ahead (its servers, pod, are up)
    sc = parse(ONE.format(services="  svc: {requires: [box], active: [a]}",
                          customers="  users: {count: 100, access: pop, home: a, services: "
                                    "[svc], requires: [pod]}",
                          disruptions="  []", extra_sites="")
               .replace("  a:\n", "  a:\n    capacity: 50\n"))
    r = simulate(sc)
    assert chains(r, "users", "svc") == [(0.0, None, [
        ("full", "a", "a is full (capacity 50: no group ahead by priority; users needs 100)",
         None)])]


def test_dependencies_are_followed_all_the_way_down():
    r = run("  store: {requires: [disk], active: [a]}\n"
            "  db: {depends_on: [store], active: [a]}\n"
            "  svc: {requires: [box], depends_on: [db], active: [a]}", USERS,
            fault("{component: a.disk}", how="until: repaired"))
    assert chains(r, "users", "svc") == [(1 * H, 3 * H, [
        ("dependency", "svc@a", "svc at a needs db there", None),
        ("dependency", "db@a", "db at a needs store there", None),
        ("component", "a.disk", "disk at a: 0 of 1 units up, needs 1", 1 * H)])]


def test_a_dependency_at_any_site_lists_every_site():
    r = run("  auth: {requires: [box], active: [a, b]}\n"
            "  svc: {requires: [disk], depends_on: [{service: auth, at: any}], active: [a]}",
            USERS, fault("{component: a.box}, {component: b.box}", how="until: repaired"))
    assert chains(r, "users", "svc") == [(1 * H, 3 * H, [
        ("dependency", "svc@a", "svc at a needs auth at any", None),
        ("component", "a.box", "box at a: 0 of 2 units up, needs 1", 1 * H),
        ("component", "b.box", "box at b: 0 of 1 units up, needs 1", 1 * H)])]


def test_no_path_through_a_site_that_is_down():
    # users live at b; the only way from pop is through a (pop-b removed), which is down:
    # no link is down, so none is named, and nothing says since when
    sc = parse(ONE.format(services="  svc: {requires: [box], active: [b]}",
                          customers="  users: {count: 100, access: pop, home: b, services: "
                                    "[svc]}",
                          disruptions=fault("{site: a}"), extra_sites="")
               .replace("  pop-b: {a: pop, b: b, latency: 30ms, bandwidth: 1Gbps}\n", ""))
    r = simulate(sc)
    assert chains(r, "users", "svc") == [(1 * H, 1.5 * H, [
        ("unreachable", "b", "no network path from pop to b", None)])]


def repair_waits(disruptions: str, box: str = "") -> list:
    sc = parse(ONE.format(services="  svc: {requires: [box], active: [a]}", customers=USERS,
                          disruptions=disruptions, extra_sites="")
               .replace("disk: {count: 1, ttr: 2h}", "disk: {count: 1, ttr: 2h" + box + "}")
               + "staff:\n  eng: {count: 1}\n")
    return chains(simulate(sc), "a.disk", "repair of unit 1")


def test_a_repair_waits_for_power():
    # the site loses power at 1h for 30 min; the disk, down for the power cut, is also hit at
    # 1h10m: its repair cannot start before the power is back at 1h30m
    assert repair_waits("  - {id: p, at: 1h, targets: [{power: a}], duration: 30m}\n"
                        "  - {id: d, at: 1h10m, targets: [{component: a.disk}], "
                        "until: repaired}") == [
        (1 * H + 10 * M, 1.5 * H, [("power", "a", "no power at a", None)])]


def test_a_repair_waits_for_access_to_the_site():
    # the site is closed to staff 1h-3h; the disk fails at 1h10m and its repair needs eng
    # inside: it waits for the site to open at 3h
    assert repair_waits("  - {id: c, at: 1h, targets: [{access: a}], duration: 2h}\n"
                        "  - {id: d, at: 1h10m, targets: [{component: a.disk}], "
                        "until: repaired}", ", repair_role: eng") == [
        (1 * H + 10 * M, 3 * H, [("access", "a", "a closed to staff", None)])]
