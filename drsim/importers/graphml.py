"""GraphML read safely: a network graph's nodes and edges, each with its data and the line it
was written on, for `drsim import topology`.

XML is hostile ground, like YAML (DESIGN.md §6). The file is parsed by expat with the
document type declaration refused outright: no DTD means no entity can be declared, so
neither an entity-expansion bomb ("billion laughs") nor an external entity (a local file or a
URL read into the document) can ever be expanded. The file's size is limited before it is
parsed, and so is its number of elements. networkx.read_graphml parses with ElementTree,
which keeps no line numbers and expands internal entities, so it is not used here: the few
GraphML rules a network graph needs (keys with names, types and defaults; nodes; edges; data)
are read directly, and every problem is an Issue at its file:line:col.
"""

from __future__ import annotations

import xml.parsers.expat as expat
from dataclasses import dataclass, field
from pathlib import Path

from drsim.errors import Issue, ScenarioError
from drsim.scenario.loader import read_regular

MAX_BYTES = 20_000_000  # the Topology Zoo's largest GraphML file is under 1 MB
MAX_ELEMENTS = 1_000_000
_UNSUPPORTED = {"hyperedge": "hyperedges", "port": "ports", "endpoint": "hyperedge endpoints",
                "locator": "graphs in other files (locator)"}


@dataclass(frozen=True)
class Value:
    """One <data> value: its text and where it was written."""

    text: str
    line: int
    col: int


@dataclass
class Element:
    """A node or an edge: its XML attributes (id, source, target) and its data by name."""

    line: int
    col: int
    attrs: dict[str, str]
    data: dict[str, Value] = field(default_factory=dict)

    def get(self, *names: str) -> Value | None:
        """The value of the first of `names` present, compared without case."""
        folded = {k.casefold(): v for k, v in self.data.items()}
        for name in names:
            if name.casefold() in folded:
                return folded[name.casefold()]
        return None


@dataclass
class GraphML:
    file: str
    nodes: list[Element] = field(default_factory=list)
    edges: list[Element] = field(default_factory=list)
    directed: bool = False
    at: tuple[int, int] = (1, 1)  # where <graph> opens: the place of whole-graph problems

    def issue(self, at: Element | Value | None, path: str, message: str) -> Issue:
        line, col = (at.line, at.col) if at is not None else self.at
        return Issue(line, col, path, message, self.file)


@dataclass
class _Key:
    name: str
    domain: str  # node, edge, graph, all
    default: Value | None = None


class _Reader:
    """The expat handlers: builds a GraphML, collecting every problem as an Issue."""

    def __init__(self, file: str) -> None:
        self.parser = expat.ParserCreate()
        self.graph = GraphML(file)
        self.issues: list[Issue] = []
        self.keys: dict[str, _Key] = {}
        self.stack: list[str] = []
        self.owner: Element | None = None  # the node or edge whose data is being read
        self.key: _Key | None = None  # the <key> whose <default> is being read
        self.text: list[str] | None = None  # the text of the open <data> or <default>
        self.data_key = ""
        self.data_at = (0, 0)
        self.graphs = self.elements = 0
        p = self.parser
        p.StartDoctypeDeclHandler = self.refuse_doctype
        p.EntityDeclHandler = self.refuse_entity
        p.ExternalEntityRefHandler = self.refuse_external
        p.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        p.StartElementHandler = self.start
        p.EndElementHandler = self.end
        p.CharacterDataHandler = self.chars

    def where(self) -> tuple[int, int]:
        return self.parser.CurrentLineNumber, self.parser.CurrentColumnNumber + 1

    def fail(self, message: str) -> None:
        """A problem that stops the reading: the rest of the file cannot be trusted."""
        line, col = self.where()
        raise ScenarioError([*self.issues, Issue(line, col, "", message, self.graph.file)])

    def problem(self, path: str, message: str) -> None:
        line, col = self.where()
        self.issues.append(Issue(line, col, path, message, self.graph.file))

    def refuse_doctype(self, *_: object) -> None:
        self.fail("a document type declaration (<!DOCTYPE ...>) is not accepted: GraphML needs "
                  "none, and its entities could expand without limit or read other files; "
                  "delete the <!DOCTYPE ...> block")

    def refuse_entity(self, *_: object) -> None:
        self.fail("an entity declaration (<!ENTITY ...>) is not accepted; delete it and write "
                  "the text out")

    def refuse_external(self, *_: object) -> int:
        self.fail("an external entity is not accepted (it would read another file or a URL); "
                  "delete it")
        return 0

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        name = tag.rsplit(":", 1)[-1]
        self.elements += 1
        if self.elements > MAX_ELEMENTS:
            self.fail(f"more than {MAX_ELEMENTS:,} XML elements; split the graph or remove "
                      "drawing data")
        if not self.stack and name != "graphml":
            self.fail(f"not GraphML: the root element is <{tag}>, not <graphml>; export the "
                      "graph as GraphML (networkx.write_graphml, yEd, Gephi)")
        parent = self.stack[-1] if self.stack else ""
        self.stack.append(name)
        if self.text is not None:  # markup inside <data> (yEd drawing data): not a value
            self.text = None
            return
        if name in _UNSUPPORTED and parent in ("graph", "node", "edge", "hyperedge"):
            self.fail(f"{_UNSUPPORTED[name]} are not supported; a network graph needs only "
                      "<node> and <edge>")
        handler = {"key": self.start_key, "graph": self.start_graph, "node": self.start_node,
                   "edge": self.start_edge, "data": self.start_data,
                   "default": self.start_default}.get(name)
        if handler is not None and parent in _PARENTS[name]:
            handler(attrs)

    def start_key(self, attrs: dict[str, str]) -> None:
        kid = attrs.get("id")
        if kid is None:
            self.problem("key", "a <key> has no id; give it one, e.g. id=\"d0\"")
            return
        self.key = self.keys[kid] = _Key(attrs.get("attr.name", kid), attrs.get("for", "all"))

    def start_default(self, attrs: dict[str, str]) -> None:
        self.text, self.data_at = [], self.where()

    def start_graph(self, attrs: dict[str, str]) -> None:
        if "node" in self.stack:
            self.fail("a graph nested inside a node is not supported; flatten the graph")
        self.graphs += 1
        if self.graphs > 1:
            self.fail("more than one <graph> in the file; keep the one to import")
        self.graph.directed = attrs.get("edgedefault", "directed") == "directed"
        self.graph.at = self.where()

    def start_node(self, attrs: dict[str, str]) -> None:
        line, col = self.where()
        self.owner = Element(line, col, dict(attrs))
        if "id" not in attrs:
            self.problem("node", "a <node> has no id; give every node a unique id")
        self.graph.nodes.append(self.owner)

    def start_edge(self, attrs: dict[str, str]) -> None:
        line, col = self.where()
        self.owner = Element(line, col, dict(attrs))
        missing = [a for a in ("source", "target") if a not in attrs]
        if missing:
            self.problem("edge", f"an <edge> has no {' or '.join(missing)}; give every edge "
                                 "the ids of the two nodes it joins")
        self.graph.edges.append(self.owner)

    def start_data(self, attrs: dict[str, str]) -> None:
        self.data_key, self.text, self.data_at = attrs.get("key", ""), [], self.where()

    def chars(self, text: str) -> None:
        if self.text is not None:
            self.text.append(text)

    def end(self, tag: str) -> None:
        name = self.stack.pop()
        if name == "data" and self.text is not None and self.owner is not None \
                and self.stack and self.stack[-1] in ("node", "edge"):
            key = self.keys.get(self.data_key)
            label = key.name if key is not None else self.data_key
            self.owner.data[label] = Value("".join(self.text).strip(), *self.data_at)
        elif name == "default" and self.text is not None and self.key is not None:
            self.key.default = Value("".join(self.text).strip(), *self.data_at)
        elif name in ("node", "edge"):
            self.owner = None
        elif name == "key":
            self.key = None
        if name in ("data", "default"):
            self.text = None

    def apply_defaults(self) -> None:
        """A key's <default> stands for the value of every node or edge that gives none."""
        for kind, elements in (("node", self.graph.nodes), ("edge", self.graph.edges)):
            for key in self.keys.values():
                if key.default is None or key.domain not in (kind, "all"):
                    continue
                for el in elements:
                    el.data.setdefault(key.name, key.default)


_PARENTS = {"key": ("graphml",), "default": ("key",), "graph": ("graphml", "node", "edge"),
            "node": ("graph",), "edge": ("graph",), "data": ("node", "edge", "graph", "graphml")}


def parse(data: bytes, file: str) -> GraphML:
    """A GraphML document's nodes and edges; ScenarioError lists every problem."""
    if not data.strip():
        raise ScenarioError([Issue(1, 1, "", "the file is empty; a GraphML file holds "
                                   "<graphml><graph>, then its <node>s and <edge>s", file)])
    reader = _Reader(file)
    try:
        reader.parser.Parse(data, True)
    except expat.ExpatError as e:
        message = expat.ErrorString(e.code) if e.code is not None else str(e)
        raise ScenarioError([*reader.issues, Issue(
            e.lineno, e.offset + 1, "", f"not well-formed XML ({message}); a GraphML file is "
            "XML: check the file is complete and not another format", file)]) from None
    if reader.graphs == 0:
        reader.issues.append(Issue(1, 1, "", "no <graph> element; a GraphML file holds "
                                   "<graphml><graph>...</graph></graphml>", file))
    if reader.issues:
        raise ScenarioError(reader.issues)
    reader.apply_defaults()
    return reader.graph


def read(path: Path) -> GraphML:
    """Read a GraphML file of at most MAX_BYTES (a regular file only, like a scenario)."""
    try:
        data = read_regular(path, MAX_BYTES, "a network graph")
    except FileNotFoundError:
        raise ScenarioError([Issue(0, 0, "", "no such file; check the path",
                                   str(path))]) from None
    except IsADirectoryError:
        raise ScenarioError([Issue(0, 0, "", "is a directory; name a .graphml file",
                                   str(path))]) from None
    except OSError as e:
        raise ScenarioError([Issue(0, 0, "", f"cannot read: {e.strerror}",
                                   str(path))]) from None
    return parse(data, str(path))
