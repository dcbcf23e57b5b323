"""YAML → RawDoc: safe parsing that keeps every node's line:col and refuses hostile input.

Hostile ground: duplicate keys, NaN/inf, huge files, deep nesting and alias bombs are refused;
YAML 1.1 surprises are disarmed by resolving only true/false as booleans and plain decimal
numbers as numbers (so `no` stays the string 'no' and `1:30` stays '1:30', not 90).
"""

from __future__ import annotations

import gc
import math
import os
import re
import stat
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from drsim.errors import Issue, ScenarioError, show

MAX_BYTES = 2_000_000
MAX_DEPTH = 40
MAX_ALIASES = 100
MAX_NODES = 200_000
MAX_INT = 2**63 - 1  # the largest whole number a scenario may hold (int64)

PathKey = tuple[str | int, ...]


@dataclass
class RawDoc:
    """Parsed YAML data plus the position of every value (and of every mapping key)."""

    data: Any
    file: str
    marks: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    key_marks: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    # A merged variant (scenario/variants.py) holds values from several files: the file of
    # each path whose marks came from another file than `file`.
    sources: dict[PathKey, str] = field(default_factory=dict)

    def mark(self, path: PathKey, key: bool = False) -> tuple[int, int]:
        """Line and column of `path`, or of its nearest ancestor that has one."""
        return self.place(path, key)[:2]

    def place(self, path: PathKey, key: bool = False) -> tuple[int, int, str]:
        """Line, column and file of `path`, or of its nearest ancestor that has one."""
        table = self.key_marks if key else self.marks
        for n in range(len(path), -1, -1):
            got = table.get(path[:n]) or self.marks.get(path[:n])
            if got:
                return (*got, self.sources.get(path[:n], self.file))
        return (1, 1, self.file)

    def issue(self, path: PathKey, message: str, key: bool = False) -> Issue:
        line, col, file = self.place(path, key)
        return Issue(line, col, format_path(path), message, file)


_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def format_path(path: PathKey) -> str:
    """('runbooks', 'failover', 'steps', 2, 'after') → 'runbooks.failover.steps[2].after'.

    A key that is not a plain name is quoted, so the path stays one word: staff['on call'].
    """
    out = ""
    for p in path:
        if isinstance(p, int):
            out += f"[{p}]"
        elif not _PLAIN_KEY.fullmatch(p):
            out += f"[{p!r}]"
        else:
            out += f".{p}" if out else p
    return out


class _Loader(yaml.SafeLoader):
    """SafeLoader resolving only the YAML scalars a scenario means, counting alias uses."""

    aliases = 0

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                # types-PyYAML leaves Parser.peek_event unannotated (it returns an Event)
                raise _TooBig(self.peek_event().start_mark,  # type: ignore[no-untyped-call]
                              f"more than {MAX_ALIASES} aliases (*name); write the values out "
                              "or use fewer anchors")
        # index is the key node in a mapping, the position in a sequence (types-PyYAML: int)
        return super().compose_node(parent, index)  # type: ignore[arg-type]


class _FastLoader(_Loader):
    """_Loader reading its events from libyaml's parser (about 3x faster on a thousand-site
    file): the nodes are still composed, resolved and built by the same Python code, so a
    clean document gives the same data and marks. A document with any problem is read again
    with _Loader (load_text), so every message stays PyYAML's own."""

    def __init__(self, text: str) -> None:
        super().__init__("")
        from yaml._yaml import CParser  # present when yaml.__with_libyaml__

        self.events = CParser(text)

    def check_event(self, *choices: Any) -> bool:
        return bool(self.events.check_event(*choices))

    def peek_event(self) -> yaml.Event | None:
        event: yaml.Event | None = self.events.peek_event()
        return event

    def get_event(self) -> yaml.Event | None:
        event: yaml.Event | None = self.events.get_event()
        return event

    def dispose(self) -> None:
        self.events.dispose()


if yaml.__with_libyaml__:
    from yaml._yaml import CParser

    class _ComposingLoader(CParser, yaml.constructor.SafeConstructor, yaml.resolver.Resolver):
        """libyaml parsing *and* composing the node tree (CParser.get_single_node, about 10x
        faster than _FastLoader's Python composer), for a document without anchors: with no
        anchor (`&name`) there is no alias to count (an alias would be undefined, an error
        that sends the document to _Loader), so _Loader.compose_node has nothing to do.
        Scalars are resolved by the same implicit resolvers, and the nodes carry libyaml's
        marks, as _FastLoader's do."""

        def __init__(self, text: str) -> None:
            CParser.__init__(self, text)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)
            self._tags: dict[tuple[Any, str, Any], str] = {}

        def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
            """Resolver.resolve (libyaml's composer asks it for every node's tag),
            remembered per text: a scenario repeats a few values many times."""
            key = (kind, value, implicit)
            tag = self._tags.get(key)
            if tag is None:  # (types-PyYAML leaves Resolver.resolve unannotated)
                tag = self._tags[key] = super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]
            return tag

    _LOADERS: tuple[type[yaml.resolver.BaseResolver], ...] = (_Loader, _FastLoader,
                                                              _ComposingLoader)
else:  # pragma: no cover (PyYAML built without libyaml)
    _LOADERS = (_Loader, _FastLoader)


for _cls in _LOADERS:
    _cls.yaml_implicit_resolvers = {}
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
    for _cls in _LOADERS:
        _cls.add_implicit_resolver(_tag, re.compile(_regexp), list(_first))


class _Builder:
    """Walks the composed node tree, building data and marks, enforcing the limits."""

    def __init__(self, loader: yaml.constructor.SafeConstructor, doc: RawDoc) -> None:
        self.loader, self.doc = loader, doc
        self.issues: list[Issue] = []
        self.nodes = 0

    def problem(self, node: yaml.Node, path: PathKey, message: str) -> None:
        m = node.start_mark
        self.issues.append(Issue(m.line + 1, m.column + 1, format_path(path), message,
                                 self.doc.file))

    def build(self, node: yaml.Node, path: PathKey, depth: int) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _TooBig(node.start_mark, f"more than {MAX_NODES} values once aliases are "
                          "expanded; split the file or use fewer aliases")
        if depth > MAX_DEPTH:
            raise _TooBig(node.start_mark, f"nested deeper than {MAX_DEPTH} levels; "
                          "a scenario needs far fewer")
        self.doc.marks.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if isinstance(node, yaml.CollectionNode) and node.tag not in _COLLECTION_TAGS:
            self.problem(node, path, f"unsupported YAML tag {_short(node.tag)}; remove the tag")
            return None
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        assert isinstance(node, yaml.ScalarNode)  # the one kind of node left
        return self.scalar(node, path)

    def mapping(self, node: yaml.MappingNode, path: PathKey, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        key_marks = self.doc.key_marks
        for key_node, value_node in self.merged_pairs(node, path):
            key = self.scalar(key_node, path) if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, str | int) or isinstance(key, bool):
                self.problem(key_node, path, "a key must be a plain name; quote it or rename it")
                continue
            key = str(key)
            sub = (*path, key)
            if key in out:
                self.problem(key_node, sub,
                             f"duplicate key '{key}'; each key may appear once, remove one")
                continue
            m = key_node.start_mark
            key_marks[sub] = (m.line + 1, m.column + 1)
            out[key] = self.build(value_node, sub, depth + 1)
        return out

    def merged_pairs(self, node: yaml.MappingNode,
                     path: PathKey) -> list[tuple[yaml.Node, yaml.Node]]:
        """The mapping's own pairs after any merged (`<<: *base`) pairs they do not override."""
        pairs: list[tuple[yaml.Node, yaml.Node]] = node.value
        if not any(k.tag in _FLATTENED for k, _ in pairs):
            return pairs  # (flatten_mapping would change nothing)
        own = [(k, v) for k, v in node.value if k.tag != _MERGE_TAG]
        self.loader.flatten_mapping(node)
        own_ids = {id(k) for k, _ in own}
        own_keys = {k.value for k, _ in own if isinstance(k, yaml.ScalarNode)}
        merged: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for k, v in node.value:
            if id(k) not in own_ids and isinstance(k, yaml.ScalarNode) \
                    and k.value not in own_keys:
                merged[k.value] = (k, v)  # flattened last-first: the earliest mapping wins
        return [*merged.values(), *own]

    def scalar(self, node: yaml.ScalarNode, path: PathKey) -> Any:
        if node.tag == _STR_TAG:  # most values: the text itself (construct_yaml_str)
            value = node.value
            return value if value.isprintable() else self.text(node, path, value)
        if node.tag not in _SCALAR_TAGS:
            self.problem(node, path, f"unsupported YAML tag {_short(node.tag)}; remove the tag")
            return None
        if node.tag == "tag:yaml.org,2002:int" and len(node.value.lstrip("+-0_")) > 18 \
                and abs(int(node.value.replace("_", "")[:40])) > MAX_INT:
            self.problem(node, path, f"{show(node.value)} is too large a whole number (the "
                         f"largest is {MAX_INT}); check for a typo")
            return None
        value = self.loader.yaml_constructors[node.tag](self.loader, node)
        if isinstance(value, float) and not math.isfinite(value):
            what = "not a finite number" if math.isnan(value) or "inf" in node.value.lower() \
                else "too large a number"  # 1e400: written finite, too big for a float
            self.problem(node, path, f"{show(node.value)} is {what}; write a real value")
            return None
        return value

    def text(self, node: yaml.ScalarNode, path: PathKey, value: str) -> str | None:
        """A string holding a character that is not printable: refused unless it is only
        newlines and tabs."""
        bad = next((c for c in value if not c.isprintable() and c not in "\n\t"), None)
        if bad is None:
            return value
        self.problem(node, path, f"{show(value)} holds the invisible character "
                     f"{_char_name(bad)}, which could disguise text in reports and "
                     "terminals; delete it")
        return None


def _char_name(c: str) -> str:
    name = unicodedata.name(c, "") or {"\x1b": "ESCAPE"}.get(c, "a control character")
    return f"U+{ord(c):04X} ({name})"


def _short(tag: str) -> str:
    return tag.replace("tag:yaml.org,2002:", "!!")


_MERGE_TAG = "tag:yaml.org,2002:merge"
_FLATTENED = (_MERGE_TAG, "tag:yaml.org,2002:value")  # keys SafeConstructor.flatten_mapping edits
_STR_TAG = "tag:yaml.org,2002:str"
_SCALAR_TAGS = (_STR_TAG, "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
                "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null")
_COLLECTION_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")


class _TooBig(Exception):
    def __init__(self, mark: yaml.Mark, message: str) -> None:
        super().__init__(message)
        self.mark, self.message = mark, message


def _yaml_message(e: yaml.MarkedYAMLError) -> str:
    """PyYAML's problem, with the place its context began when that is another line."""
    if e.context == "expected a single document in the stream":
        return "the file holds more than one YAML document ('---'); a scenario is one document"
    text = f"YAML syntax error: {e.problem or e.context}"
    cm, pm = e.context_mark, e.problem_mark
    if isinstance(e, yaml.scanner.ScannerError) and e.context:
        text += f" {e.context}"
        if pm and cm and pm.line != cm.line:
            text += f" (noticed at line {pm.line + 1})"
    elif e.context and e.problem and cm and (pm is None or cm.line != pm.line):
        text += f" ({e.context} at line {cm.line + 1})"
    if "'\\t'" in text:
        return text + "; indent with spaces, not tabs"
    return text + "; check indentation, colons, brackets and quotes"


def _reader_issue(text: str, e: yaml.reader.ReaderError, file: str) -> Issue:
    """A character YAML refuses (control characters, NUL): place it by line and column."""
    before = text[:e.position] if isinstance(e.position, int) else ""
    line, col = before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1
    return Issue(line, col, "", f"character #x{e.character:04x} is not allowed in YAML; "
                 "delete it or write it as an escape in a double-quoted string", file)


@contextmanager
def paused_gc() -> Iterator[None]:
    """The cyclic garbage collector held off while a scenario is read and checked: that
    allocates hundreds of thousands of objects at a thousand sites, and each collection walks
    every one of them again (most of the time spent, before). They hold no cycles to collect;
    collection resumes after."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def load_text(text: str, file: str = "<scenario>") -> RawDoc:
    """Parse scenario text; raise ScenarioError listing every YAML-level problem."""
    if len(text.encode("utf-8", "replace")) > MAX_BYTES:
        raise ScenarioError([Issue(1, 1, "", f"file is larger than {MAX_BYTES // 1_000_000} MB; "
                                   "a scenario should be far smaller — split it", file)])
    with paused_gc():
        doc = _fast_load(text, file)
        return doc if doc is not None else _load(text, file)


# One-line flow collections holding no other collection, quote or comment: each one's
# bracket closes it, so it nests nothing (see _shallow).
_LEAF_FLOW = re.compile(r"\[[^\[\]{}\"'#\n]*\]|\{[^\[\]{}\"'#\n]*\}")
MAX_C_NESTING = 1000  # libyaml's composer recurses in C: ~300 bytes of stack per level


def _shallow(text: str) -> bool:
    """Whether the document surely nests at most MAX_C_NESTING levels deep, read off the text:
    libyaml's composer (C recursion, no depth check) may only see a document it cannot
    overflow on. A flow collection opens at a '[' or '{' (one that nests nothing counts once,
    whichever it is); a block collection nested in another starts further right, or (a
    sequence as a mapping's value) in the same column, so block nesting is at most twice the
    widest start of a line: indentation and compact '- '/'? ' indicators."""
    flow = text.count("[") + text.count("{") - len(_LEAF_FLOW.findall(text)) + 1
    width = (MAX_C_NESTING - flow - 1) // 2 - 1  # the widest start that stays within bounds
    return width >= 0 and re.search(f"\n[ ?-]{{{width + 1}}}", "\n" + text) is None


def _fast_load(text: str, file: str) -> RawDoc | None:
    """The document read with libyaml, if it is available and the document is clean
    (a mapping, no YAML-level problem at all); else None, and _load reads it again."""
    if not yaml.__with_libyaml__ or yaml.reader.Reader.NON_PRINTABLE.search(text):
        return None  # (characters PyYAML refuses: _load says where)
    doc = RawDoc(None, file)
    try:
        composing = "&" not in text and _shallow(text)
        loader = (_ComposingLoader if composing else _FastLoader)(text)
    except (yaml.YAMLError, ValueError):
        return None
    try:
        node = loader.get_single_node()
        builder = _Builder(loader, doc)
        doc.data = None if node is None else builder.build(node, (), 0)
    except (yaml.YAMLError, _TooBig, RecursionError, ValueError):
        return None
    finally:
        loader.dispose()
    return doc if isinstance(doc.data, dict) and not builder.issues else None


def _load(text: str, file: str) -> RawDoc:
    """The document read with PyYAML's own Python parser (every problem reported)."""
    doc = RawDoc(None, file)
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as e:
        raise ScenarioError([_reader_issue(text, e, file)]) from None
    try:
        node = loader.get_single_node()
        if node is None:
            raise ScenarioError([_empty(file)])
        builder = _Builder(loader, doc)
        doc.data = builder.build(node, (), 0)
    except yaml.reader.ReaderError as e:
        raise ScenarioError([_reader_issue(text, e, file)]) from None
    except yaml.MarkedYAMLError as e:
        m = e.problem_mark or e.context_mark
        if isinstance(e, yaml.scanner.ScannerError) and e.context_mark:
            m = e.context_mark  # where the token with the problem began: the line to fix
        line, col = (m.line + 1, m.column + 1) if m else (1, 1)
        raise ScenarioError([Issue(line, col, "", _yaml_message(e), file)]) from None
    except yaml.YAMLError as e:
        raise ScenarioError([Issue(1, 1, "", f"YAML error: {e}", file)]) from None
    except _TooBig as e:
        m = e.mark
        raise ScenarioError([Issue(m.line + 1, m.column + 1, "", e.message, file)]) from None
    except RecursionError:
        raise ScenarioError([Issue(1, 1, "", f"nested deeper than {MAX_DEPTH} levels; "
                                   "a scenario needs far fewer", file)]) from None
    finally:
        loader.dispose()
    if builder.issues:
        raise ScenarioError(builder.issues)
    if doc.data is None:
        raise ScenarioError([_empty(file)])
    if not isinstance(doc.data, dict):
        raise ScenarioError([Issue(1, 1, "", f"the top level is {_what(doc.data)}, but must be "
                                   "a mapping of sections (drsim: 1, name, simulation, sites, "
                                   "...)", file)])
    return doc


def _empty(file: str) -> Issue:
    return Issue(1, 1, "", "the file is empty; a scenario starts with 'drsim: 1' and has "
                 "name, simulation, sites, services and customers", file)


def _what(value: Any) -> str:
    return "a list" if isinstance(value, list) else f"a single value {value!r}"


def load(path: str | Path) -> RawDoc:
    """Read and parse a scenario file (a regular file only: never a FIFO or a device, which
    could block or never end)."""
    p = Path(path)
    try:
        data = read_regular(p)
        text = data.decode("utf-8")
    except FileNotFoundError:
        raise ScenarioError([Issue(0, 0, "", "no such file; check the path", str(p))]) from None
    except IsADirectoryError:
        raise ScenarioError([Issue(0, 0, "", "is a directory, not a scenario file; name a "
                                   ".yaml file", str(p))]) from None
    except UnicodeDecodeError as e:
        raise ScenarioError([Issue(1, 1, "", f"not UTF-8 text ({e.reason}); save it as UTF-8",
                                   str(p))]) from None
    except OSError as e:
        raise ScenarioError([Issue(0, 0, "", f"cannot read: {e.strerror}", str(p))]) from None
    return load_text(text, str(p))


def read_regular(p: Path, limit: int = MAX_BYTES, what: str = "a scenario") -> bytes:
    """The bytes of a regular file of at most `limit` bytes (a file larger is refused as too
    big for `what`); ScenarioError for anything else.
    Opened without blocking and checked on the open file, so a FIFO never hangs and a file
    swapped for a device between check and read is still refused."""
    fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(p)
        if not stat.S_ISREG(st.st_mode):
            raise ScenarioError([Issue(0, 0, "", f"is {_file_kind(st.st_mode)}, not a regular "
                                       "file; name a .yaml file", str(p))])
        if st.st_size > limit:
            raise ScenarioError([_too_big(str(p), limit, what)])
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(limit + 1)
    finally:
        os.close(fd)
    if len(data) > limit:  # grew after the check
        raise ScenarioError([_too_big(str(p), limit, what)])
    return data


def _too_big(file: str, limit: int = MAX_BYTES, what: str = "a scenario") -> Issue:
    return Issue(1, 1, "", f"file is larger than {limit // 1_000_000} MB; {what} should "
                 "be far smaller — split it", file)


def _file_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a plain file"
