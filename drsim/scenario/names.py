"""Ids that read the same: two ids of one kind that differ only by letter case.

Ids are ASCII letters, digits, '-' and '_' (schema.ID_PATTERN), so look-alike letters from
other scripts (Cyrillic 'а' for Latin 'a') are refused there; what is left to confuse a reader
is case: 'NYC' and 'nyc' print alike in a table and are one name to a person, or to a
case-insensitive file system when results are written per id.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Iterable
from typing import Any

from pydantic import BaseModel

from drsim.errors import Issue
from drsim.scenario.loader import PathKey, RawDoc
from drsim.scenario.schema_issues import child_type, schema_type_at, unwrap


def case_clashes(raw: RawDoc) -> list[Issue]:
    """One issue per id that differs from an earlier id of the same kind only by case."""
    issues: list[Issue] = []
    # (value, its path, its schema type); values outside the schema hold no ids to compare
    stack: list[tuple[Any, PathKey, Any]] = [(raw.data, (), schema_type_at(()))]
    typed = _child_types()
    while stack:
        node, path, tp = stack.pop()
        if isinstance(node, dict):
            if typing.get_origin(tp) is dict:
                _clashes(raw, path, [(k, (*path, k), True) for k in node], issues)
            items: Iterable[tuple[str | int, Any]] = node.items()
        elif isinstance(node, list):
            if _list_of_ids(tp):
                _clashes(raw, path, [(e["id"], (*path, i, "id"), False)
                                     for i, e in enumerate(node)
                                     if isinstance(e, dict) and isinstance(e.get("id"), str)],
                         issues)
            items = enumerate(node)
        else:
            continue
        stack.extend((v, (*path, k), sub) for k, v in items
                     if isinstance(v, dict | list) and (sub := typed(tp, k)) is not None)
    return issues


def _child_types() -> Callable[[Any, str | int], Any]:
    """child_type, remembered per (type, key) for one walk (a thousand sites repeat the same
    few; a dict's or a list's values all share one type, so their key does not matter), or
    None where nothing below can hold ids to compare (a link, a distribution): not walked."""
    seen: dict[tuple[int, str | int | None], Any] = {}
    held: list[Any] = []  # keeps every type asked about alive, so no id is reused

    def typed(tp: Any, key: str | int) -> Any:
        slot = (id(tp), None if typing.get_origin(tp) in (dict, list) else key)
        if slot not in seen:
            held.append(tp)
            sub = child_type(tp, key)
            seen[slot] = sub if _holds_ids(sub) else None
        return seen[slot]

    return typed


def _holds_ids(tp: Any, visiting: frozenset[int] = frozenset()) -> bool:
    """Whether a value of schema type `tp` may hold, itself or anywhere below, ids compared
    by case_clashes (a mapping keyed by id, a list of items with an id)."""
    if typing.get_origin(tp) is dict or _list_of_ids(tp):
        return True
    if id(tp) in visiting:
        return False  # a type within itself (cascades): its fields are being looked at
    visiting |= {id(tp)}
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return any(_holds_ids(child_type(tp, name), visiting) for name in tp.model_fields)
    return typing.get_origin(tp) is list and _holds_ids(child_type(tp, 0), visiting)


def _clashes(raw: RawDoc, where: PathKey, ids: list[tuple[str, PathKey, bool]],
             issues: list[Issue]) -> None:
    first: dict[str, tuple[str, PathKey, bool]] = {}
    for name, path, key in ids:
        folded = name.casefold()
        if folded not in first:
            first[folded] = (name, path, key)
            continue
        other, other_path, other_key = first[folded]
        line = raw.mark(other_path, key=other_key)[0]
        issues.append(raw.issue(path, f"id '{name}' differs from '{other}' (line {line}) only "
                                      "by case, so the two read as one name in reports; "
                                      "rename one of them", key=key))


def _list_of_ids(tp: Any) -> bool:
    if typing.get_origin(tp) is not list:
        return False
    item = unwrap(typing.get_args(tp)[0])
    return isinstance(item, type) and issubclass(item, BaseModel) and "id" in item.model_fields
