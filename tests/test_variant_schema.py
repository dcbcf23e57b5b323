"""Variant files validate against a JSON Schema too (`drsim schema --variant`): every bundled
variant passes, bad ones fail at the right place, and any full scenario with a `base` is a
valid (if verbose) variant."""

from __future__ import annotations

import copy
import json

import jsonschema
import pytest
import yaml
from conftest import ROOT
from typer.testing import CliRunner

from drsim.cli import app
from drsim.scenario import json_schema
from drsim.scenario.variant_schema import mergeable_models, variant_json_schema

ALL_FILES = sorted((ROOT / "scenarios").rglob("*.yaml"))
VARIANTS = [p for p in ALL_FILES if "base" in yaml.safe_load(p.read_text(encoding="utf-8"))]
SCENARIOS = [p for p in ALL_FILES if p not in VARIANTS]
WARM = ROOT / "scenarios" / "variants" / "nyc-warm-standby.yaml"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(CliRunner().invoke(app, ["schema", "--variant"]).output)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def errors(validator, doc) -> list[tuple[str, str]]:
    return sorted((".".join(map(str, e.absolute_path)), e.message)
                  for e in validator.iter_errors(doc))


def leaves(validator, doc) -> list[tuple[str, str]]:
    """The innermost errors: a failed anyOf (a patch or null, a list or a mapping by id)
    holds its branches' errors as its context, as an editor shows them."""
    out, todo = [], list(validator.iter_errors(doc))
    while todo:
        e = todo.pop()
        if e.context:
            todo += e.context
        else:
            out.append((".".join(map(str, e.absolute_path)), e.message))
    return sorted(out)


def test_there_are_bundled_variants():
    assert {p.name for p in VARIANTS} >= {"nyc-warm-standby.yaml",
                                          "year-engineer-on-nights.yaml",
                                          "year-faster-runbook.yaml"}


@pytest.mark.parametrize("path", VARIANTS, ids=lambda p: p.stem)
def test_every_bundled_variant_validates(validator, path):
    assert errors(validator, yaml.safe_load(path.read_text(encoding="utf-8"))) == []


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_a_full_scenario_with_a_base_is_a_valid_variant(validator, path):
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert errors(validator, doc)[:1] == [("", "'base' is a required property")]
    assert errors(validator, {"base": "x.yaml", **doc}) == []


def _warm() -> dict:
    return yaml.safe_load(WARM.read_text(encoding="utf-8"))


def test_patches_by_id_and_nulls_validate(validator):
    doc = _warm()
    assert isinstance(doc["runbooks"]["failover"]["steps"], dict)  # steps patched by id
    assert doc["staff"]["dba"] is None  # null removes a role
    doc["simulation"] = {"seed": None, "horizon": "3d"}  # a patch of two fields, one removed
    doc["objectives"] = {"voice-rto": {"rto": "2h"}, "old": None}
    assert errors(validator, doc) == []


@pytest.mark.parametrize(("edit", "where", "message"), [
    (lambda d: d.update(sitez={}), "", "Additional properties are not allowed ('sitez' was "
                                       "unexpected)"),
    (lambda d: d.pop("base"), "", "'base' is a required property"),
    (lambda d: d["runbooks"]["failover"]["steps"]["verify-chicago"].update(durration="5m"),
     "runbooks.failover.steps.verify-chicago",
     "Additional properties are not allowed ('durration' was unexpected)"),
    (lambda d: d["sites"]["chi"]["components"]["storage"].update(count="two"),
     "sites.chi.components.storage.count", "'two' is not of type 'integer'"),
])
def test_a_bad_variant_fails(validator, edit, where, message):
    doc = _warm()
    edit(doc)
    found = leaves(validator, doc)
    assert (where, message) in found, found


def test_a_value_replaced_whole_keeps_its_required_keys():
    """A distribution is replaced whole (never merged), so its schema is the scenario's."""
    schema = variant_json_schema()
    full = json_schema()
    assert "StepPatch" in schema["$defs"] and "Step" in schema["$defs"]
    assert schema["$defs"]["Step"] == full["$defs"]["Step"]
    assert "required" not in schema["$defs"]["StepPatch"]
    models = mergeable_models()
    assert models["Step"] and models["Disruption"] and models["Objective"]  # lists by id
    assert not models["Site"]  # a mapping keyed by id, not a list
    assert "Effect" not in models and "Target" not in models  # replaced whole


def test_the_scenario_schema_does_not_accept_base():
    v = jsonschema.Draft202012Validator(json_schema())
    doc = yaml.safe_load((ROOT / "scenarios" / "nyc-chicago-drill.yaml").read_text())
    assert list(v.iter_errors(doc)) == []
    bad = copy.deepcopy(doc)
    bad["base"] = "x.yaml"
    assert [e.message for e in v.iter_errors(bad)] == [
        "Additional properties are not allowed ('base' was unexpected)"]


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_bundled_scenario_validates_against_the_scenario_schema(path):
    """Regression: a backup schedule's `at: '00:00'` and a restore's `from: tier` (one value
    where a list is allowed, as drsim accepts) were refused by `drsim schema`'s schema."""
    v = jsonschema.Draft202012Validator(json_schema())
    assert errors(v, yaml.safe_load(path.read_text(encoding="utf-8"))) == []
