"""YAML → RawDoc: safe parsing that keeps every node's line:col and refuses hostile input.

Hostile ground: duplicate keys, NaN/inf, huge files, deep nesting and alias bombs are refused;
YAML 1.1 surprises are disarmed by resolving only true/false as booleans and plain decimal
numbers as numbers (so `no` stays the string 'no' and `1:30` stays '1:30', not 90).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from drsim.errors import Issue, ScenarioError

MAX_BYTES = 2_000_000
MAX_DEPTH = 40
MAX_ALIASES = 100
MAX_NODES = 200_000

PathKey = tuple[str | int, ...]


@dataclass
class RawDoc:
    """Parsed YAML data plus the position of every value (and of every mapping key)."""

    data: Any
    file: str
    marks: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    key_marks: dict[PathKey, tuple[int, int]] = field(default_factory=dict)

    def mark(self, path: PathKey, key: bool = False) -> tuple[int, int]:
        """Line and column of `path`, or of its nearest ancestor that has one."""
        table = self.key_marks if key else self.marks
        for n in range(len(path), -1, -1):
            got = table.get(path[:n]) or self.marks.get(path[:n])
            if got:
                return got
        return (1, 1)

    def issue(self, path: PathKey, message: str, key: bool = False) -> Issue:
        line, col = self.mark(path, key)
        return Issue(line, col, format_path(path), message, self.file)


def format_path(path: PathKey) -> str:
    """('runbooks', 'failover', 'steps', 2, 'after') → 'runbooks.failover.steps[2].after'."""
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


class _Loader(yaml.SafeLoader):
    """SafeLoader resolving only the YAML scalars a scenario means."""


_Loader.yaml_implicit_resolvers = {}
for _tag, _regexp, _first in [
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:int", r"^[-+]?(?:0|[1-9][0-9_]*)$", "-+0123456789"),
    ("tag:yaml.org,2002:float",
     r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?\.[0-9_]+(?:[eE][-+]?[0-9]+)?"
     r"|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
     "-+0123456789."),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:merge", r"^(?:<<)$", "<"),
]:
    _Loader.add_implicit_resolver(_tag, re.compile(_regexp), list(_first))


class _Builder:
    """Walks the composed node tree, building data and marks, enforcing the limits."""

    def __init__(self, loader: _Loader, doc: RawDoc) -> None:
        self.loader, self.doc, self.issues = loader, doc, []  # type: list[Issue]
        self.nodes = 0
        self.seen: dict[int, int] = {}

    def problem(self, node: yaml.Node, path: PathKey, message: str) -> None:
        m = node.start_mark
        self.issues.append(Issue(m.line + 1, m.column + 1, format_path(path), message,
                                 self.doc.file))

    def build(self, node: yaml.Node, path: PathKey, depth: int) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _TooBig(node, f"more than {MAX_NODES} values (after aliases); split the file")
        if depth > MAX_DEPTH:
            raise _TooBig(node, f"nested deeper than {MAX_DEPTH} levels")
        if id(node) in self.seen:
            self.seen[id(node)] += 1
            if sum(self.seen.values()) - len(self.seen) > MAX_ALIASES:
                raise _TooBig(node, f"more than {MAX_ALIASES} alias uses")
        else:
            self.seen[id(node)] = 1
        self.doc.marks.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        return self.scalar(node, path)

    def mapping(self, node: yaml.MappingNode, path: PathKey, depth: int) -> dict[str, Any]:
        self.loader.flatten_mapping(node)
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = self.scalar(key_node, path) if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, str | int) or isinstance(key, bool):
                self.problem(key_node, path, "a key must be a plain name; quote it or rename it")
                continue
            key = str(key)
            if key in out:
                self.problem(key_node, (*path, key),
                             f"duplicate key '{key}'; each key may appear once, remove one")
                continue
            m = key_node.start_mark
            self.doc.key_marks[(*path, key)] = (m.line + 1, m.column + 1)
            out[key] = self.build(value_node, (*path, key), depth + 1)
        return out

    def scalar(self, node: yaml.ScalarNode, path: PathKey) -> Any:
        if node.tag not in ("tag:yaml.org,2002:str", "tag:yaml.org,2002:int",
                            "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool",
                            "tag:yaml.org,2002:null"):
            self.problem(node, path, f"unsupported YAML tag {node.tag}; remove the tag")
            return None
        value = self.loader.construct_object(node, deep=True)
        if isinstance(value, float) and not math.isfinite(value):
            self.problem(node, path, f"{node.value} is not a finite number; write a real value")
            return None
        return value


class _TooBig(Exception):
    def __init__(self, node: yaml.Node, message: str) -> None:
        super().__init__(message)
        self.node, self.message = node, message


def load_text(text: str, file: str = "<scenario>") -> RawDoc:
    """Parse scenario text; raise ScenarioError listing every YAML-level problem."""
    doc = RawDoc(None, file)
    if len(text.encode("utf-8", "replace")) > MAX_BYTES:
        raise ScenarioError([Issue(1, 1, "", f"file is larger than {MAX_BYTES // 1_000_000} MB; "
                                   "a scenario should be far smaller — split it", file)])
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise ScenarioError([Issue(1, 1, "", "the file is empty; a scenario starts with "
                                       "'drsim: 1' and has sites, services and customers", file)])
        builder = _Builder(loader, doc)
        doc.data = builder.build(node, (), 0)
    except yaml.MarkedYAMLError as e:
        m = e.problem_mark or e.context_mark
        line, col = (m.line + 1, m.column + 1) if m else (1, 1)
        raise ScenarioError([Issue(line, col, "", f"YAML syntax error: {e.problem or e.context}; "
                                   "check indentation, colons and quotes", file)]) from None
    except yaml.YAMLError as e:
        raise ScenarioError([Issue(1, 1, "", f"YAML error: {e}", file)]) from None
    except _TooBig as e:
        m = e.node.start_mark
        raise ScenarioError([Issue(m.line + 1, m.column + 1, "", e.message, file)]) from None
    except RecursionError:
        raise ScenarioError([Issue(1, 1, "", f"nested deeper than {MAX_DEPTH} levels",
                                   file)]) from None
    finally:
        loader.dispose()
    if builder.issues:
        raise ScenarioError(builder.issues)
    if not isinstance(doc.data, dict):
        raise ScenarioError([Issue(1, 1, "", "the top level must be a mapping of sections "
                                   "(drsim, name, simulation, sites, ...)", file)])
    return doc


def load(path: str | Path) -> RawDoc:
    """Read and parse a scenario file."""
    p = Path(path)
    try:
        if p.stat().st_size > MAX_BYTES:
            raise ScenarioError([Issue(1, 1, "", f"file is larger than {MAX_BYTES // 1_000_000} "
                                       "MB; a scenario should be far smaller — split it", str(p))])
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError([Issue(0, 0, "", "no such file; check the path", str(p))]) from None
    except IsADirectoryError:
        raise ScenarioError([Issue(0, 0, "", "is a directory, not a scenario file", str(p))]) from None
    except UnicodeDecodeError as e:
        raise ScenarioError([Issue(1, 1, "", f"not UTF-8 text ({e.reason}); save it as UTF-8",
                                   str(p))]) from None
    except OSError as e:
        raise ScenarioError([Issue(0, 0, "", f"cannot read: {e.strerror}", str(p))]) from None
    return load_text(text, str(p))
