"""Ids that read the same: two ids of one kind that differ only by letter case.

Ids are ASCII letters, digits, '-' and '_' (schema.ID_PATTERN), so look-alike letters from
other scripts (Cyrillic 'а' for Latin 'a') are refused there; what is left to confuse a reader
is case: 'NYC' and 'nyc' print alike in a table and are one name to a person, or to a
case-insensitive file system when results are written per id.
"""

from __future__ import annotations

import typing
from typing import Any

from pydantic import BaseModel

from drsim.errors import Issue
from drsim.scenario.loader import PathKey, RawDoc
from drsim.scenario.schema_issues import schema_type_at, unwrap


def case_clashes(raw: RawDoc) -> list[Issue]:
    """One issue per id that differs from an earlier id of the same kind only by case."""
    issues: list[Issue] = []
    stack: list[tuple[Any, PathKey]] = [(raw.data, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            if _keyed_by_id(path):
                _clashes(raw, path, [(k, (*path, k), True) for k in node], issues)
            stack.extend((v, (*path, k)) for k, v in node.items())
        elif isinstance(node, list):
            if _list_of_ids(path):
                _clashes(raw, path, [(e["id"], (*path, i, "id"), False)
                                     for i, e in enumerate(node)
                                     if isinstance(e, dict) and isinstance(e.get("id"), str)],
                         issues)
            stack.extend((v, (*path, i)) for i, v in enumerate(node))
    return issues


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


def _keyed_by_id(path: PathKey) -> bool:
    return typing.get_origin(schema_type_at(path)) is dict


def _list_of_ids(path: PathKey) -> bool:
    tp = schema_type_at(path)
    if typing.get_origin(tp) is not list:
        return False
    item = unwrap(typing.get_args(tp)[0])
    return isinstance(item, type) and issubclass(item, BaseModel) and "id" in item.model_fields
