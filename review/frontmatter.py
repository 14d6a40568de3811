"""The stored format of a plan file (`commitments/<id>/<lang>.md`, `pages/<slug>/<lang>.md`):
a YAML front matter between two `---` lines, then a Markdown body (docs/format.md).

Reading (`split`, `split_lenient`) and writing (`join`, `update`) live here so that views,
hooks and the drafting summary agree on one format. Writing is an edit, not a rewrite: the
YAML is round-tripped with ruamel.yaml, so an unchanged value keeps its text (quotes, key
order, comments, indentation) and a file keeps its line endings (LF or CRLF). Changing one
milestone's date changes that one line. The checks of the schema stay in `model`."""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass
from typing import Any, Mapping

from ruamel.yaml import YAML, YAMLError
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import ScalarString

from .model import SchemaError, load_yaml, normalise_newlines


@dataclass(frozen=True)
class Source:
    """A plan file cut in three, with LF line endings; `newline` is the file's own ("\\n" or
    "\\r\\n"), given back by `join`."""

    front_matter: str   # the YAML, each line ending with "\n" ("" when empty)
    separator: str      # the blank lines between the closing `---` and the body
    body: str
    newline: str = "\n"


def newline_of(text: str) -> str:
    """The line ending a file is written with: CRLF when its first line ends so, else LF."""
    first = text.find("\n")
    return "\r\n" if first > 0 and text[first - 1] == "\r" else "\n"


def split(text: str) -> Source:
    """A file as its front matter, separator and body. Raises SchemaError when the file does
    not open with a closed front matter."""
    newline = newline_of(text)
    text = normalise_newlines(text)
    if not text.startswith("---\n"):
        raise SchemaError(["1: a commitment file must start with a '---' line opening its front matter"])
    end = text.find("\n---\n", 3)
    if end < 0:
        if not text.endswith("\n---"):
            raise SchemaError(["1: the front matter is not closed: add a '---' line after it"])
        end = len(text) - 4
    fm, rest = text[4:end + 1], text[end + 5:]
    body = rest.lstrip("\n")
    return Source(fm, rest[:len(rest) - len(body)], body, newline)


def split_lenient(text: str) -> tuple[str | None, str]:
    """(front matter or None when there is none, body), LF line endings. Never raises: a draft
    may be malformed, and describing it must still work."""
    try:
        src = split(text)
    except SchemaError:
        return None, normalise_newlines(text)
    return src.front_matter, src.separator + src.body


def join(src: Source) -> str:
    """The file's text: the inverse of `split`, in the file's line endings."""
    text = f"---\n{src.front_matter}---\n{src.separator or chr(10)}{src.body}"
    return text.replace("\n", "\r\n") if src.newline == "\r\n" else text


def with_body(src: Source, body: str) -> Source:
    """`src` with a new body (as typed in a form): an unchanged body, up to blank lines at its
    ends and line endings, keeps its text."""
    body = normalise_newlines(body)
    if body.strip() == src.body.strip():
        return src
    body = body.lstrip("\n").rstrip() + "\n" if body.strip() else ""
    return Source(src.front_matter, src.separator, body, src.newline)


def with_fields(src: Source, values: Mapping[str, Any], path: str = "front matter") -> Source:
    """`src` with the front matter's top-level keys in `values` changed (see `update`)."""
    return Source(update(src.front_matter, values, path), src.separator, src.body, src.newline)


def fields(text: str, path: str = "front matter") -> dict:
    """A file's front matter as data (the bounded parse of `model.load_yaml`; SchemaError)."""
    data = load_yaml(split(text).front_matter, path, 2)
    if data is not None and not isinstance(data, dict):
        raise SchemaError([f"{path}:2: the front matter must be a mapping of fields (key: value)"])
    return data or {}


def edit(text: str, values: Mapping[str, Any], body: str | None = None, path: str = "front matter") -> str:
    """The file `text` with its front matter's fields in `values` set (see `update`) and, unless
    None, its body replaced: the smallest edit, in the file's line endings."""
    src = with_fields(split(text), values, path)
    return join(src if body is None else with_body(src, body))


def new_file(values: Mapping[str, Any], body: str, newline: str = "\n") -> str:
    """A new file (a translation written for the first time)."""
    return join(with_body(Source(_dump(_yaml(), _to_node(dict(values))), "\n", "", newline), body))


# -- editing the YAML in place -------------------------------------------------------------

def _yaml(mapping: int = 2, sequence: int = 4, offset: int = 2) -> YAML:
    y = YAML()  # round-trip
    y.preserve_quotes = True
    y.width = 4096  # never fold a long title
    y.allow_unicode = True
    y.indent(mapping=mapping, sequence=sequence, offset=offset)
    return y


def _dump(y: YAML, data) -> str:
    out = io.StringIO()
    y.dump(data, out)
    return out.getvalue()


def _round_tripper(text: str) -> tuple[YAML, Any]:
    """A YAML instance that writes `text` back unchanged (the file's indentation guessed
    among the usual ones), and the document it read."""
    candidates = [(2, 4, 2), (2, 2, 0), (4, 4, 2), (4, 4, 0), (2, 2, 2), (4, 6, 4)]
    first = None
    for m, s, o in candidates:
        y = _yaml(m, s, o)
        data = y.load(text)
        if first is None:
            first = (y, data)
        if _dump(y, data) == text:
            return y, data
    return first


def update(text: str, values: Mapping[str, Any], path: str = "front matter") -> str:
    """The YAML `text` with each top-level key of `values` set to its value (None removes the
    key); other keys are left alone. A value is merged into the node it replaces: an equal
    scalar keeps its text, a changed one keeps the quoting of the old, a mapping keeps its
    keys' order and loses the keys the new value lacks, a list of mappings with `id`s is
    matched by id. Raises SchemaError when `text` is not a YAML mapping within the bounds of
    `model.load_yaml`."""
    text = normalise_newlines(text)
    if text and not text.endswith("\n"):
        text += "\n"
    load_yaml(text, path)  # bounded first: no aliases, depth, size (SchemaError)
    y, data = _round_tripper(text) if text.strip() else (_yaml(), None)
    if data is None:
        data = CommentedMap()
    if not isinstance(data, CommentedMap):
        raise SchemaError([f"{path}:1: the front matter must be a mapping of fields (key: value)"])
    before = _dump(y, data)
    shape, leaves = _shape(data), _leaves(data)
    for key, value in values.items():
        if value is None:
            data.pop(key, None)
        elif key in data:
            data[key] = _merge(data[key], value)
        else:
            data[key] = _to_node(value)
    try:
        after = _dump(y, data)
    except YAMLError as exc:  # a value ruamel cannot write (never a plain string)
        raise SchemaError([f"{path}:1: cannot write the front matter: {exc}"]) from None
    if after == before:
        return text
    if before != text and _shape(data) == shape:  # a file ruamel would not write back as it is:
        patched = _patch_scalars(text, leaves, _leaves(data), y, after)  # change the values in place
        if patched is not None:
            return patched
    return after


# -- changing scalars in place, for a file whose layout ruamel would not reproduce ----------------

def _shape(node):
    """The structure of a document: its containers (by identity) and keys, not its scalars."""
    if isinstance(node, CommentedMap):
        return ("map", id(node), tuple((k, _shape(v)) for k, v in node.items()))
    if isinstance(node, CommentedSeq):
        return ("seq", id(node), tuple(_shape(v) for v in node))
    return "scalar"


def _leaves(node, path: tuple = ()) -> dict:
    """path -> (scalar, (line, column) of the scalar in the text read)."""
    out = {}
    items = node.items() if isinstance(node, CommentedMap) else enumerate(node) if isinstance(node, CommentedSeq) else ()
    for k, v in items:
        if isinstance(v, (CommentedMap, CommentedSeq)):
            out.update(_leaves(v, path + (k,)))
        else:
            try:
                pos = node.lc.value(k) if isinstance(node, CommentedMap) else node.lc.item(k)
            except (KeyError, IndexError, TypeError, AttributeError):
                pos = None
            out[path + (k,)] = (v, pos)
    return out


def _token_end(line: str, col: int) -> int | None:
    """Where the scalar written at `col` ends on its line (None for a block or unclosed one)."""
    c = line[col:col + 1]
    if c == '"':
        i = col + 1
        while i < len(line):
            if line[i] == "\\":
                i += 2
                continue
            if line[i] == '"':
                return i + 1
            i += 1
        return None
    if c == "'":
        i = col + 1
        while i < len(line):
            if line[i] == "'":
                if line[i + 1:i + 2] == "'":
                    i += 2
                    continue
                return i + 1
            i += 1
        return None
    if not c or c in "|>&*!":
        return None
    end = line.find(" #", col)
    end = len(line[:end if end >= 0 else len(line)].rstrip())
    if "{" in line[:col] or "[" in line[:col]:  # inside a flow collection: up to its next sign
        stops = [i for i in (line.find(ch, col) for ch in ",}]") if 0 <= i < end]
        end = len(line[:min(stops)].rstrip()) if stops else end
    return end


def _patch_scalars(text: str, old: dict, new: dict, y: YAML, expected: str) -> str | None:
    """`text` with each changed scalar rewritten where it stands; None when that cannot be
    done safely (the caller then writes the document out whole)."""
    safe = YAML(typ="safe", pure=True)
    lines = text.split("\n")
    changes = sorted(((pos, value) for path, (value, _) in new.items()
                      for _, pos in [old.get(path, (None, None))] if old[path][0] is not value),
                     key=lambda c: (c[0] or (0, 0)), reverse=True)
    for pos, value in changes:
        if pos is None:
            return None
        line_no, col = pos
        line = lines[line_no]
        end = _token_end(line, col)
        if end is None:
            return None
        written = _dump(y, CommentedMap([("k", value)]))
        if not written.startswith("k: ") or written.count("\n") != 1:
            return None
        lines[line_no] = line[:col] + written[3:-1] + line[end:]
    patched = "\n".join(lines)
    try:
        if safe.load(patched) != safe.load(expected):
            return None
    except Exception:  # noqa: BLE001 - any doubt: write the document whole
        return None
    return patched


def _merge(old, new):
    if isinstance(new, Mapping) and isinstance(old, CommentedMap):
        for k in [k for k in old if k not in new]:
            del old[k]
        for k, v in new.items():
            old[k] = _merge(old[k], v) if k in old else _to_node(v)
        return old
    if isinstance(new, (list, tuple)) and isinstance(old, CommentedSeq):
        return _merge_list(old, list(new))
    return _scalar(old, new)


def _key_of(item):
    return item.get("id") if isinstance(item, Mapping) else None


def _merge_list(old: CommentedSeq, new: list) -> CommentedSeq:
    by_id = {_key_of(o): o for o in old if _key_of(o) is not None}
    if all(_key_of(n) is not None for n in new) and by_id:
        nodes = [_merge(by_id[_key_of(n)], n) if _key_of(n) in by_id else _to_node(n) for n in new]
    else:  # positional: equal items keep their node
        nodes = [_merge(old[i], n) if i < len(old) else _to_node(n) for i, n in enumerate(new)]
    if len(nodes) == len(old) and all(a is b for a, b in zip(nodes, old)):
        return old
    for i, node in enumerate(nodes):
        if i < len(old):
            if old[i] is not node:
                old[i] = node
        else:
            old.append(node)
    del old[len(nodes):]
    return old


_DAY_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _same(old, new) -> bool:
    if isinstance(old, bool) or isinstance(new, bool):
        return old is new
    if isinstance(old, (dt.date, int)) and not isinstance(new, (dt.date, int)):
        return str(old) == str(new)
    return old == new


def _scalar(old, new):
    """`new` as a node: `old` itself when equal, else `new` typed and quoted like `old`."""
    if _same(old, new):
        return old
    if isinstance(new, str):
        if isinstance(old, ScalarString):  # "quoted" stays "quoted", 'quoted' stays 'quoted'
            return type(old)(new)
        if isinstance(old, dt.date) and _DAY_RE.fullmatch(new):
            try:
                return dt.date.fromisoformat(new)
            except ValueError:
                return new
        if isinstance(old, int) and not isinstance(old, bool) and new.isdigit() and len(new) < 10:
            return int(new)
    return _to_node(new)


def _to_node(value):
    if isinstance(value, Mapping):
        m = CommentedMap()
        for k, v in value.items():
            m[k] = _to_node(v)
        return m
    if isinstance(value, (list, tuple)):
        return CommentedSeq([_to_node(v) for v in value])
    return value
