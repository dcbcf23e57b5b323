"""pydantic's validation errors → drsim Issues: one line each, at the right file:line:col.

pydantic reports a location inside its own model (with union-branch tags) and a terse
message; this module maps the location back onto the data as written, names what is wrong in
the scenario's own words, lists what is allowed and suggests the nearest known name.
"""

from __future__ import annotations

import re
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from drsim.distributions import did_you_mean
from drsim.errors import FieldValueError, Issue, show
from drsim.scenario.loader import PathKey, RawDoc
from drsim.scenario.schema import Scenario

_HINTS = {
    "trigger": "expected 'detected', 'declared', 'auto_failover_failed' or "
               "{after: <runbook id>}",
    "at": "expected an offset ('1h42m', or a distribution) or a date-time '2026-03-10T10:42'",
    "groups": "expected a list of customer group ids or 'all'",
}


def schema_issues(raw: RawDoc, error: ValidationError) -> list[Issue]:
    by_path: dict[PathKey, list[dict[str, Any]]] = {}
    for detail in error.errors():
        path, extra = _real_path(raw.data, detail["loc"])
        by_path.setdefault(path, []).append({**detail, "_extra": extra})
    issues = []
    for path, errs in by_path.items():
        if len(errs) > 1 and path and str(path[-1]) in _HINTS:
            value = _get(raw.data, path)
            issues.append(raw.issue(path, f"{show(value)} is not allowed; "
                                          f"{_HINTS[str(path[-1])]}"))
            continue
        for err in errs:
            issues.append(_one_issue(raw, path, err))
    return issues


def _real_path(data: Any, loc: tuple[Any, ...]) -> tuple[PathKey, bool]:
    """Drop pydantic's union-branch tags from loc: keep only steps that exist in the data."""
    path: list[str | int] = []
    node = data
    for i, part in enumerate(loc):
        if part == "[key]":
            continue
        if isinstance(node, dict) and part in node:
            path.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            path.append(part)
            node = node[part]
        elif i == len(loc) - 1 and isinstance(node, dict) and isinstance(part, str):
            path.append(part)  # a missing key
        elif isinstance(node, dict | list):
            continue  # a union branch tag such as 'literal[...]' or a model name
    return tuple(path), False


def _deepest(data: Any, path: PathKey, below: tuple[str | int, ...]) -> PathKey:
    """`path` extended by as much of `below` as exists in the data (to blame the right line)."""
    node, out = _get(data, path), list(path)
    for part in below:
        if isinstance(node, dict) and part in node or (
                isinstance(node, list) and isinstance(part, int) and part < len(node)):
            out.append(part)
            node = _get(node, (part,))
        else:
            break
    return tuple(out)


def _get(data: Any, path: PathKey) -> Any:
    for p in path:
        data = data[p]
    return data


def _one_issue(raw: RawDoc, path: PathKey, err: dict[str, Any]) -> Issue:
    kind, msg, value = err["type"], err["msg"], err.get("input")
    cause = err.get("ctx", {}).get("error")
    if isinstance(cause, FieldValueError):
        path = _deepest(raw.data, path, cause.key)
    if kind == "extra_forbidden":
        known = _known_fields(path[:-1])
        return raw.issue(path, f"unknown key '{path[-1]}'{did_you_mean(str(path[-1]), known)}; "
                               f"known keys: {', '.join(known)}", key=True)
    if kind == "missing":
        return raw.issue(path[:-1], f"missing required key '{path[-1]}'; add it"
                                    f"{_describe(path)}", key=True)
    if "[key]" in err["loc"] or kind == "string_pattern_mismatch":
        return raw.issue(path, f"{show(str(value))} is not a valid id; use letters, digits, "
                               "'-' and '_' (no dots, spaces or other characters)", key=True)
    if kind.startswith("value_error"):
        text = msg.removeprefix("Value error, ")
    elif kind == "literal_error":
        allowed = msg.removeprefix("Input should be ")
        text = f"{show(value)} is not allowed{did_you_mean(str(value), _literal_options(msg))}; " \
               f"expected {allowed}"
    elif kind in ("dict_type", "model_type", "model_attributes_type"):
        text = f"expected a mapping (key: value), got {_kind(value)}"
    elif kind == "list_type":
        text = f"expected a list like [a, b], got {_kind(value)}"
    elif kind in ("int_type", "int_parsing", "int_from_float"):
        text = f"expected a whole number, got {show(value)}{_number_hint(value, True)}"
    elif kind in ("float_type", "float_parsing"):
        text = f"expected a number, got {show(value)}{_number_hint(value, False)}"
    elif kind in ("bool_type", "bool_parsing"):
        text = f"expected true or false, got {show(value)}{_bool_hint(value)}"
    elif kind in ("string_type",):
        text = f"expected text, got {_kind(value)}; quote it"
    elif kind == "too_short":
        text = "must not be empty; give at least one entry"
    elif kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        text = f"{show(value)} is out of range: {msg.removeprefix('Input should be ')}"
    elif kind == "string_too_long":
        text = "too long; " + msg.removeprefix("String should have ")
    else:
        text = msg
    return raw.issue(path, text)


_YAML11_BOOLS = {"yes", "no", "on", "off", "y", "n"}
_OCTAL = re.compile(r"^[-+]?0[0-9_]+$")
_BASE60 = re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")


def _number_hint(value: Any, whole: bool) -> str:
    """Why a value that looks like a number (to a person, or to YAML 1.1) is not one here."""
    if isinstance(value, bool):
        return "; true and false are not numbers here, write the number itself"
    if isinstance(value, float) and whole:
        return f"; write it without a fraction ({int(value)})" if value.is_integer() \
            else "; a count is a whole number"
    if not isinstance(value, str):
        return ""
    text = value.strip()
    if _OCTAL.match(text):
        digits = text.lstrip("+-0_") or "0"
        octal = f" (or {int(digits.replace('_', ''), 8)} if you meant octal)" \
            if set(digits) <= set("01234567_") else ""
        return (f"; a leading zero is ambiguous (YAML 1.1 reads {text} as an octal number), "
                f"write {digits}{octal}")
    if _BASE60.match(text):
        return (f"; YAML 1.1 reads {text} as a base-60 number, write the number itself "
                "(durations take units, e.g. '1h30m')")
    if text.lower() in _YAML11_BOOLS:
        return f"; '{text}' is a word (YAML 1.1 would read it as a boolean), write a number"
    if re.fullmatch(r"[-+]?[0-9][0-9_]*(\.[0-9_]*)?([eE][-+]?[0-9]+)?", text):
        return f"; remove the quotes ({text})"
    return ""


def _bool_hint(value: Any) -> str:
    if isinstance(value, str) and value.strip().lower() in _YAML11_BOOLS | {"true", "false"}:
        return "; write true or false (yes/no/on/off/y/n are words in drsim's YAML)"
    if isinstance(value, int | float):
        return "; numbers are not booleans here, write true or false"
    return ""


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: f"text {show(value)}",
            type(None): "nothing",
            bool: f"{value}", int: f"number {value}", float: f"number {value}"}.get(
        type(value), type(value).__name__)


def _literal_options(msg: str) -> list[str]:
    return [p.strip(" '") for p in msg.removeprefix("Input should be ").replace(" or ", ",")
            .split(",")]


def schema_type_at(path: PathKey) -> Any:
    """The (unwrapped) schema type of the value at `path`, or None outside the schema."""
    tp: Any = unwrap(Scenario)
    for part in path:
        tp = child_type(tp, part)
        if tp is None:
            return None
    return tp


def child_type(tp: Any, part: str | int) -> Any:
    """schema_type_at((*path, part)) from tp = schema_type_at(path): a walk down the data
    carries the type along instead of walking from the top for every value."""
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        field = tp.model_fields.get(str(part))
        return None if field is None else unwrap(field.annotation)
    if typing.get_origin(tp) in (dict, list):
        return unwrap(typing.get_args(tp)[-1])  # dict[str, X] or list[X] → X
    return None


def _model_at(path: PathKey) -> type[BaseModel] | None:
    """The pydantic model that describes the mapping at `path`, if any."""
    tp = schema_type_at(path)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def unwrap(tp: Any) -> Any:
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [typing.get_args(a)[0] if typing.get_origin(a) is typing.Annotated else a
                    for a in typing.get_args(tp)]  # tagged union members are Annotated
            models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
            others = [a for a in args if a is not type(None)]
            tp = models[0] if models else (others[0] if len(others) == 1 else tp)
            if not models and len(others) != 1:
                return tp
        else:
            return tp


def _known_fields(path: PathKey) -> list[str]:
    model = _model_at(path)
    return list(model.model_fields) if model else []


def _describe(path: PathKey) -> str:
    model = _model_at(path[:-1])
    if model is None:
        return ""
    field = model.model_fields.get(str(path[-1]))
    return f" ({field.description})" if field is not None and field.description else ""
