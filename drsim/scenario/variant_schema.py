"""The JSON Schema of a variant file (`drsim schema --variant`), derived from the scenario's.

A variant is a patch on a base scenario (scenario/variants.py), so its schema is the
scenario schema with the merge rules applied:

- `base` (the base scenario's path) is the one required key;
- where the merge goes into a mapping of fields (a site, a step, `simulation`) or into a
  mapping keyed by ids (`sites`, `staff`...), every field is optional and may be `null` (which
  removes it); that is a "patch" copy of the model's definition, `<Model>Patch`;
- a list of things with ids (runbook steps, disruptions, objectives) may also be a mapping
  keyed by id, each value a patch of one element or `null`;
- a value replaced whole (a distribution, a calendar, an effect, a list) keeps the scenario's
  own definition, required keys and all.

Unknown keys stay errors everywhere. The schema checks what a variant file may say; what the
merged scenario means is checked by `drsim validate`, as for any scenario.
"""

from __future__ import annotations

import copy
import typing
from typing import Any

from pydantic import BaseModel

from drsim.scenario.schema import Scenario, json_schema
from drsim.scenario.schema_issues import unwrap

NULL = {"type": "null"}
REF = "#/$defs/"


def mergeable_models() -> dict[str, bool]:
    """The models a variant merges into, by name → whether lists of them are patched by id
    (the same classification as variants._kind, walked over the whole format)."""
    found: dict[str, bool] = {}

    def visit(model: type[BaseModel], in_list: bool) -> None:
        has_id = in_list and "id" in model.model_fields
        if model.__name__ in found:
            found[model.__name__] = found[model.__name__] or has_id
            return
        found[model.__name__] = has_id
        for field in model.model_fields.values():
            tp = unwrap(field.annotation)
            origin = typing.get_origin(tp)
            if origin in (dict, list):
                item = unwrap(typing.get_args(tp)[-1])
                if isinstance(item, type) and issubclass(item, BaseModel):
                    if origin is dict or "id" in item.model_fields:
                        visit(item, origin is list)
            elif isinstance(tp, type) and issubclass(tp, BaseModel):
                visit(tp, False)

    visit(Scenario, False)
    return found


def _ref_name(node: Any) -> str | None:
    ref = node.get("$ref") if isinstance(node, dict) else None
    return ref.removeprefix(REF) if isinstance(ref, str) else None


def _nullable(node: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [node, NULL]}


class _Patches:
    def __init__(self, defs: dict[str, Any], models: dict[str, bool]) -> None:
        self.defs, self.models = defs, models

    def patch_ref(self, name: str) -> dict[str, Any]:
        return {"$ref": f"{REF}{name}Patch"}

    def value(self, node: Any) -> Any:
        """A field's schema where the variant merges: patch refs for mergeable models."""
        if not isinstance(node, dict):
            return node
        name = _ref_name(node)
        if name in self.models:
            return self.patch_ref(name)
        out = dict(node)
        for key in ("anyOf", "oneOf"):
            if key in out:
                out[key] = [self.value(n) for n in out[key]]
        if "patternProperties" in out:  # a mapping keyed by ids: entries merge or go
            out["patternProperties"] = {p: _nullable(self.value(s))
                                        for p, s in out["patternProperties"].items()}
        item = _ref_name(out.get("items"))
        if out.get("type") == "array" and item is not None and self.models.get(item):
            by_id = {"type": "object", "additionalProperties": _nullable(self.patch_ref(item)),
                     "description": "patch the elements by id: a mapping merges into the "
                                    "element with that id, null removes it, a new id appends"}
            description = out.pop("description", None)
            return {"anyOf": [out, by_id], **({"description": description}
                                             if description else {})}
        return out

    def model(self, schema: dict[str, Any]) -> dict[str, Any]:
        """A model's definition as a patch: every field optional, null removes it."""
        out = {k: v for k, v in schema.items() if k not in ("required", "properties")}
        out["properties"] = {name: _nullable(self.value(s))
                             for name, s in schema.get("properties", {}).items()}
        return out


def variant_json_schema() -> dict[str, Any]:
    full = json_schema()
    defs: dict[str, Any] = full.pop("$defs", {})
    models = mergeable_models()
    patches = _Patches(defs, models)
    out_defs = copy.deepcopy(defs)
    for name in models:
        if name in defs:
            out_defs[f"{name}Patch"] = patches.model(defs[name])
    root = patches.model({k: v for k, v in full.items() if k not in ("$schema", "title")})
    root["properties"] = {"base": {
        "type": "string", "description": "the base scenario (or variant) this file patches: "
                                         "a path relative to this file"}, **root["properties"]}
    root["required"] = ["base"]
    return {"$schema": full["$schema"], "title": "drsim scenario variant (format 1)", **root,
            "$defs": out_defs}
