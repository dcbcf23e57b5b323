"""Variants: a scenario written as a small patch on a base scenario.

A variant file names its base and changes only what differs::

    base: ../nyc-chicago-drill.yaml     # relative to this file; may itself be a variant
    name: NYC core failure, warm standby
    sites:
      chi: {capacity: 12000}            # a mapping merges into the base's mapping
    staff:
      dba: null                         # null removes a key
    runbooks:
      failover:
        steps:                          # a list of things with ids, patched by id:
          verify-chicago: {duration: 15m}   #   merge into the step with this id
          provision-network: null           #   remove it
          smoke-test: {duration: 5m, after: [start-services]}   # a new id appends a step

The rules (RFC 7386 merge-patch, fitted to the scenario format):

- A scalar or a list replaces the base value; `null` removes the key; a mapping merges into the
  base's mapping key by key — but only where the schema has a mapping of fields (a site, a
  step, `simulation`) or a mapping keyed by ids (`sites`, `links`, `staff`, `components`, ...).
  A value the schema treats as one thing (a distribution, a calendar, an effect, a target) is
  replaced whole, so `duration: {uniform: ...}` over `{lognormal: ...}` never mixes the two.
- Lists of things with ids (runbook steps, disruptions, objectives) may be patched with a
  mapping keyed by id: a mapping merges into the element with that id, `null` removes it, a new
  id appends a new element (its `id` filled in). A list still replaces the whole list.
- A key that is neither in the base nor a field the schema knows at that place is an error,
  with a did-you-mean; so is removing something the base does not have. A new key in a mapping
  keyed by ids is an addition (a new site, a new staff role), checked by validation like any
  other entry.
- Bases chain (a variant of a variant), at most MAX_CHAIN deep; a cycle is an error.

Every value of the merged document keeps the line:col of the file it came from (the patch for
what the variant wrote, else the base), so validation problems point at the right file.
"""

from __future__ import annotations

import copy
import os
import typing
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from drsim.distributions import did_you_mean
from drsim.errors import DrsimError, Issue, ScenarioError, show
from drsim.scenario.loader import PathKey, RawDoc, _Loader, format_path, load
from drsim.scenario.schema_issues import schema_type_at, unwrap

MAX_CHAIN = 16
BASE_KEY = "base"
ROOTS_ENV = "DRSIM_SCENARIO_PATH"  # more folders bases may be read from
PROJECT_MARKERS = (".git", ".hg", "pyproject.toml")  # what makes a folder a project's


# ---- where the schema puts what -----------------------------------------------------------


def _kind(path: PathKey) -> str:
    """'model' (a mapping of fixed fields), 'idmap' (a mapping keyed by ids), 'idlist' (a list
    of mappings with an `id`), or 'value' (anything replaced whole)."""
    tp = schema_type_at(path)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return "model"
    origin = typing.get_origin(tp)
    if origin is dict:
        return "idmap"
    if origin is list:
        item = unwrap(typing.get_args(tp)[0])
        if isinstance(item, type) and issubclass(item, BaseModel) and "id" in item.model_fields:
            return "idlist"
    return "value"


def _fields(path: PathKey) -> list[str]:
    tp = schema_type_at(path)
    return list(tp.model_fields) if isinstance(tp, type) and issubclass(tp, BaseModel) else []


def _strip_nulls(value: Any) -> Any:
    """A new value as RFC 7386 adds it: nulls inside mappings mean nothing and are dropped."""
    if isinstance(value, dict):
        return {k: _strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_strip_nulls(v) for v in value]
    return value


# ---- merging -------------------------------------------------------------------------------


class _Merge:
    """Merges `patch` into `base`, building the result's data and its marks."""

    def __init__(self, base: RawDoc, patch: RawDoc) -> None:
        self.base, self.patch = base, patch
        self.out = RawDoc(None, patch.file)
        self.issues: list[Issue] = []

    def run(self) -> RawDoc:
        self.out.data = self.value(self.base.data, (), self.patch.data, (), ())
        if self.issues:
            raise ScenarioError(self.issues)
        return self.out

    # marks

    def _put(self, table: str, src: RawDoc, sp: PathKey, dp: PathKey) -> None:
        m = getattr(src, table).get(sp)
        if m is None:
            return
        getattr(self.out, table)[dp] = m
        file = src.sources.get(sp, src.file)
        if file == self.out.file:
            self.out.sources.pop(dp, None)
        else:
            self.out.sources[dp] = file

    def node(self, src: RawDoc, sp: PathKey, dp: PathKey) -> None:
        """The marks of one node (its value and its key), not of what is below it."""
        self._put("marks", src, sp, dp)
        self._put("key_marks", src, sp, dp)

    def subtree(self, src: RawDoc, sp: PathKey, dp: PathKey) -> None:
        n = len(sp)
        for table in ("marks", "key_marks"):
            for p in [p for p in getattr(src, table) if p[:n] == sp]:
                self._put(table, src, p, (*dp, *p[n:]))

    def removed(self, pp: PathKey, op: PathKey) -> None:
        """A key removed by the patch: its parent now points at the `null`, so a 'missing
        required key' problem points at the line that removed it."""
        m = self.patch.key_marks.get(pp) or self.patch.marks.get(pp)
        if m is not None:
            self.out.marks[op] = self.out.key_marks[op] = m
            self.out.sources[op] = self.patch.sources.get(pp, self.patch.file)

    def problem(self, pp: PathKey, message: str) -> None:
        self.issues.append(self.patch.issue(pp, message, key=True))

    # values

    def value(self, b: Any, bp: PathKey, p: Any, pp: PathKey, op: PathKey) -> Any:
        kind = _kind(op)
        if isinstance(p, dict) and isinstance(b, dict) and kind in ("model", "idmap"):
            return self.mapping(b, bp, p, pp, op, kind)
        if isinstance(p, dict) and isinstance(b, list) and kind == "idlist":
            return self.by_id(b, bp, p, pp, op)
        return self.new(p, pp, op)

    def new(self, p: Any, pp: PathKey, op: PathKey) -> Any:
        """A value the patch brings whole (a replacement or an addition)."""
        if isinstance(p, dict) and _kind(op) == "idlist":
            return self.by_id([], (), p, pp, op)
        self.subtree(self.patch, pp, op)
        return _strip_nulls(copy.deepcopy(p))

    def mapping(self, b: dict[str, Any], bp: PathKey, p: dict[str, Any], pp: PathKey,
                op: PathKey, kind: str) -> dict[str, Any]:
        self.node(self.base, bp, op)
        out: dict[str, Any] = {}
        for k, bv in b.items():
            if k not in p:
                self.subtree(self.base, (*bp, k), (*op, k))
                out[k] = copy.deepcopy(bv)
            elif p[k] is None:
                self.removed((*pp, k), op)
            else:
                out[k] = self.value(bv, (*bp, k), p[k], (*pp, k), (*op, k))
        fields = _fields(op)
        for k, pv in p.items():
            if k in b:
                continue
            if pv is None:
                self.problem((*pp, k), f"cannot remove '{k}': the base has no "
                             f"'{format_path((*op, k))}'{did_you_mean(k, b)}; "
                             f"it has: {_listing(b)}")
            elif kind == "model" and k not in fields:
                self.problem((*pp, k), f"'{format_path((*op, k))}' is not in the base and is "
                             f"not a known key{did_you_mean(k, [*b, *fields])}; known keys: "
                             f"{', '.join(fields)}")
            else:
                out[k] = self.new(pv, (*pp, k), (*op, k))
        return out

    def by_id(self, b: list[Any], bp: PathKey, p: dict[str, Any], pp: PathKey,
              op: PathKey) -> list[Any]:
        ids = [str(e["id"]) if isinstance(e, dict) and e.get("id") is not None else None
               for e in b]
        what = str(op[-1]) if op else "list"
        out: list[Any] = []
        if b:
            self.node(self.base, bp, op)
        else:
            self.node(self.patch, pp, op)
        for j, e in enumerate(b):
            eid = ids[j]
            if eid is None or eid not in p:
                self.subtree(self.base, (*bp, j), (*op, len(out)))
                out.append(copy.deepcopy(e))
            elif p[eid] is None:
                self.removed((*pp, eid), op)
            elif not isinstance(p[eid], dict):
                self.problem((*pp, eid), f"patch an entry of {what} by id with a mapping of the "
                             "fields to change, or null to remove it")
                self.subtree(self.base, (*bp, j), (*op, len(out)))
                out.append(copy.deepcopy(e))
            else:
                out.append(self.value(e, (*bp, j), p[eid], (*pp, eid), (*op, len(out))))
        for eid, pv in p.items():
            if eid in ids:
                continue
            known = [i for i in ids if i is not None]
            if pv is None:
                self.problem((*pp, eid), f"cannot remove '{eid}': {format_path(op)} has no "
                             f"entry with that id{did_you_mean(eid, known)}; ids: "
                             f"{', '.join(known) or 'none'}")
            elif not isinstance(pv, dict):
                self.problem((*pp, eid), f"a new entry of {what} is a mapping of its fields, "
                             f"e.g. {eid}: {{...}}; existing ids: {', '.join(known) or 'none'}")
            else:
                dp = (*op, len(out))
                self.subtree(self.patch, (*pp, eid), dp)
                key = self.patch.key_marks.get((*pp, eid))
                if "id" not in pv and key is not None:
                    self.out.marks[(*dp, "id")] = self.out.key_marks[(*dp, "id")] = key
                    src = self.patch.sources.get((*pp, eid), self.patch.file)
                    if src != self.out.file:
                        self.out.sources[(*dp, "id")] = src
                out.append({"id": eid, **_strip_nulls(copy.deepcopy(pv))})
        return out


def _listing(d: dict[str, Any]) -> str:
    return ", ".join(map(str, d)) or "nothing"


def merge(base: RawDoc, patch: RawDoc) -> RawDoc:
    """The base with the patch applied (rules in the module doc); ScenarioError on a patch that
    points where the base and the schema have nothing. The result is named after the patch."""
    return _Merge(base, patch).run()


# ---- variant files -------------------------------------------------------------------------


def is_variant(raw: RawDoc) -> bool:
    return isinstance(raw.data, dict) and BASE_KEY in raw.data


def base_chain(path: str | Path) -> list[str]:
    """The files a scenario is made of: itself, its base, the base's base... (no validation)."""
    chain = [str(path)]
    raw = load(path)
    roots = base_roots(path)
    while is_variant(raw):
        nxt = _base_path(raw)
        chain.append(str(nxt))
        if len(chain) > MAX_CHAIN + 1 or chain.count(str(nxt)) > 1:
            break
        _check_base(raw, nxt, roots)
        raw = load(nxt)
    return chain


def base_roots(top: str | Path) -> tuple[Path, ...]:
    """The folders bases may be read from, for the scenario file `top` named by the user: its
    project's folder tree (project_folder), drsim's bundled scenarios, and the folders listed
    in DRSIM_SCENARIO_PATH (separated by the platform's path separator, ':' on Unix). Never
    anything else, so a scenario from elsewhere cannot make drsim read (and quote) a file it
    was not given."""
    from drsim.bundled import BUNDLED_DIR

    extra = [Path(p) for p in os.environ.get(ROOTS_ENV, "").split(os.pathsep) if p.strip()]
    return tuple(p.resolve() for p in (project_folder(top), BUNDLED_DIR, *extra))


def project_folder(top: str | Path) -> Path:
    """The nearest folder holding `top` that is a project's (it has one of PROJECT_MARKERS:
    a git checkout, a Python project), else the folder of `top` itself: a scenario kept in a
    repository may name bases anywhere in it, a lone file only beside or below itself."""
    here = Path(top).resolve().parent
    for folder in (here, *here.parents):
        if any((folder / m).exists() for m in PROJECT_MARKERS):
            return folder
    return here


def _base_path(raw: RawDoc) -> Path:
    ref = raw.data[BASE_KEY]
    if not isinstance(ref, str) or not ref.strip():
        raise ScenarioError([raw.issue((BASE_KEY,), f"base must be the path of the base "
                                       f"scenario relative to this file, e.g. "
                                       f"base: ../nyc-chicago-drill.yaml; got {show(ref)}")])
    return Path(os.path.normpath(Path(raw.file).parent / ref))


def _check_base(raw: RawDoc, base_path: Path, roots: tuple[Path, ...]) -> None:
    """Refuse a base outside `roots` (symlinks followed), one that is not a .yaml file, or
    one that is not a regular file, before a byte of it is read."""
    ref = raw.data[BASE_KEY]
    target = base_path.resolve()
    if base_path.suffix.lower() not in (".yaml", ".yml"):
        raise ScenarioError([raw.issue((BASE_KEY,), f"base {show(ref)} is not a .yaml file; a "
                                       "base is another scenario file (.yaml or .yml)")])
    if not any(target.is_relative_to(r) for r in roots):
        raise ScenarioError([raw.issue((BASE_KEY,), f"base {show(ref)} is outside the "
                                       f"scenario's project folder {roots[0]} (it is "
                                       f"{target}); bases are read only from that folder tree, "
                                       f"drsim's bundled scenarios and the folders in "
                                       f"{ROOTS_ENV}: move the base inside, or add its folder "
                                       f"to {ROOTS_ENV}")])
    if not base_path.is_file():
        what = "is a directory" if base_path.is_dir() else (
            "is not a regular file" if base_path.exists() else "not found")
        raise ScenarioError([raw.issue((BASE_KEY,), f"base file {show(ref)} {what} "
                                       f"(looked for {base_path}); give the path of a scenario "
                                       "relative to this variant file")])


def resolve(raw: RawDoc, chain: tuple[Path, ...] = (),
            roots: tuple[Path, ...] | None = None) -> RawDoc:
    """A parsed file with its bases applied (a plain scenario is returned as it is). Bases
    are read only from `roots` (default: base_roots of this file)."""
    if not is_variant(raw):
        return raw
    roots = base_roots(raw.file) if roots is None else roots
    here = Path(raw.file).resolve()
    chain = (*chain, here)
    base_path = _base_path(raw)
    target = base_path.resolve()
    if target in chain:
        loop = [p.name for p in chain[chain.index(target):]] + [target.name]
        raise ScenarioError([raw.issue((BASE_KEY,), f"base cycle: {' → '.join(loop)}; a "
                                       "variant cannot be (a base of) its own base: point base "
                                       "at a full scenario")])
    if len(chain) > MAX_CHAIN:
        raise ScenarioError([raw.issue((BASE_KEY,), f"more than {MAX_CHAIN} bases in a chain; "
                                       "point base at a full scenario")])
    _check_base(raw, base_path, roots)
    base = resolve(load(base_path), chain, roots)
    patch = RawDoc({k: v for k, v in raw.data.items() if k != BASE_KEY}, raw.file, raw.marks,
                   raw.key_marks, raw.sources)
    return merge(base, patch)


def load_resolved(path: str | Path) -> RawDoc:
    """Read a scenario or variant file; a variant comes back merged onto its bases."""
    return resolve(load(path))


def dump(raw: RawDoc) -> str:
    """The document as YAML text (what `drsim show` prints), loadable as a scenario."""
    return yaml.safe_dump(raw.data, sort_keys=False, allow_unicode=True, width=100,
                          default_flow_style=False)


# ---- one value by dotted path (sweeps) -----------------------------------------------------


def parse_value(text: str) -> Any:
    """A value written on the command line, read like a YAML value in a scenario file:
    '2' → 2, '1Gbps' → '1Gbps', 'true' → True, '{uniform: {low: 5m, high: 10m}}' → a mapping."""
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 — _Loader is a SafeLoader
    except yaml.YAMLError:
        raise DrsimError(f"'{text}' is not a value; quote text, write numbers plainly, "
                         "mappings as {key: value}") from None


def patch_for(raw: RawDoc, path: str, value: Any) -> dict[str, Any]:
    """The merge-patch setting `path` (dotted, e.g. 'staff.network_engineer.count' or
    'runbooks.failover.steps.verify-chicago.duration') to `value`. Every id on the way must
    exist in the scenario and the last key must be in it or be a field the schema knows there;
    DrsimError with a did-you-mean otherwise."""
    parts = path.split(".")
    if not path or any(not p for p in parts):
        raise DrsimError(f"'{path}' is not a path; write section.id.field, "
                         "e.g. staff.network_engineer.count")
    node: Any = raw.data
    op: PathKey = ()
    patch: dict[str, Any] = {}
    cursor = patch
    for i, part in enumerate(parts):
        kind, here = _kind(op), ".".join(parts[:i]) or "the scenario"
        if kind == "idlist" and isinstance(node, list):
            ids = [str(e.get("id")) for e in node if isinstance(e, dict)]
            if part not in ids:
                raise DrsimError(f"unknown path '{'.'.join(parts[:i + 1])}': {here} has no "
                                 f"entry '{part}'{did_you_mean(part, ids)}; ids: "
                                 f"{', '.join(ids) or 'none'}")
            idx = ids.index(part)
            node, op = node[idx], (*op, idx)
        elif kind in ("model", "idmap") and isinstance(node, dict | type(None)):
            have = list(node or {})
            allowed = have + [f for f in _fields(op) if f not in have]
            if part not in allowed:
                listing = ", ".join(allowed) or "nothing"
                raise DrsimError(f"unknown path '{'.'.join(parts[:i + 1])}': {here} has no "
                                 f"'{part}'{did_you_mean(part, allowed)}; it has: {listing}")
            node, op = (node or {}).get(part), (*op, part)
        else:
            raise DrsimError(f"unknown path '{path}': {here} is a single value, it has no "
                             f"part '{part}'; set {here} itself")
        if i == len(parts) - 1:
            cursor[part] = value
        else:
            cursor = cursor.setdefault(part, {})
    return patch


def set_value(raw: RawDoc, path: str, value: Any) -> RawDoc:
    """A copy of the document with one value set by dotted path (see patch_for); a string
    value is read like a YAML value (parse_value), so units work: '1Gbps', '15m'."""
    if isinstance(value, str):
        value = parse_value(value)
    patch = RawDoc(patch_for(raw, path, value), f"--set {path}")
    out = merge(raw, patch)
    out.file, out.sources = raw.file, {k: v for k, v in out.sources.items() if v != raw.file}
    return out
