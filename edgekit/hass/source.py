"""Read Home Assistant intent data into a typed Language, from either form users have:
the repository layout (sentences/<lang>/*.yaml, each file merged over _common.yaml as HA's own tests
merge them; needs PyYAML, the `hass` extra) or the merged JSON of the home-assistant-intents package
(data/<lang>.json; standard library). Bad input is an error naming file:line or the JSON path."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Callable

from ..errors import DataError, GrammarError
from .model import IntentBlock, Language, ListValue, RangeList, Responses, Sentence, SlotList, TextList, WildcardList
from .template import Node, Text, TemplateSyntaxError, is_template, parse_template
from .text import fold_case, normalize

COMMON_FILE = "_common.yaml"
Locate = Callable[[tuple], tuple[str, int | None, int | None]]  # path -> (file, line, col)


def load_language(source: str | os.PathLike, language: str | None = None) -> Language:
    """A language from a sentences folder (sentences/<lang>/ or an intents checkout plus `language`)
    or from a merged JSON file."""
    p = Path(source)
    if p.is_file():
        if p.suffix.lower() == ".json":
            return language_from_json(p)
        raise DataError(f"{p}: expected a .json file or a folder of sentence YAML files")
    if language is not None and (p / "sentences" / language).is_dir():
        p = p / "sentences" / language
    elif language is not None and (p / language).is_dir() and not (p / COMMON_FILE).is_file():
        p = p / language
    if not p.is_dir():
        raise DataError(f"{source}: no such folder" + (f" (language {language})" if language else ""))
    return language_from_yaml_dir(p)


# ---- the two readers ------------------------------------------------------------------------------------
def _yaml():
    try:
        import yaml
    except ImportError:
        raise DataError("reading Home Assistant YAML needs PyYAML: pip install 'edgekit[hass]' "
                        "(or use the merged JSON form, data/<lang>.json)") from None
    return yaml


def read_yaml(path: Path) -> tuple[Any, Locate]:
    """A YAML document and a locator from a path of keys/indices to its file:line:col."""
    yaml = _yaml()
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.SafeLoader(text).construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        col = mark.column + 1 if mark else None
        raise GrammarError(f"bad YAML: {exc.problem or exc.context}", str(path), line, col,
                           text.splitlines()[line - 1] if line and line <= len(text.splitlines()) else None) from None
    except yaml.YAMLError as exc:
        raise DataError(f"{path}: bad YAML: {exc}") from None

    def locate(keys: tuple) -> tuple[str, int | None, int | None]:
        n = node
        for k in keys:
            if n is None:
                break
            if isinstance(n, yaml.MappingNode):
                n = next((v for kn, v in n.value if kn.value == str(k)), None)
            elif isinstance(n, yaml.SequenceNode) and isinstance(k, int) and k < len(n.value):
                n = n.value[k]
            else:
                break
        if n is None:
            return str(path), None, None
        col = n.start_mark.column + 1 + (1 if getattr(n, "style", None) in ("'", '"') else 0)
        return str(path), n.start_mark.line + 1, col

    return data, locate


def read_json(path: Path) -> tuple[Any, Locate]:
    """A JSON document and a locator that names JSON paths ($.intents.X.data[0])."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise GrammarError(f"bad JSON: {exc.msg}", str(path), exc.lineno, exc.colno) from None

    def locate(keys: tuple) -> tuple[str, int | None, int | None]:
        return f"{path}: {json_path(keys)}", None, None

    return data, locate


def json_path(keys: tuple) -> str:
    return "$" + "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in keys)


def language_from_yaml_dir(folder: Path) -> Language:
    files = sorted(folder.glob("*.yaml"))
    if not files:
        raise DataError(f"{folder}: no *.yaml sentence files")
    common_path = folder / COMMON_FILE
    common: dict = {}
    common_loc: Locate = lambda keys: (str(common_path), None, None)  # noqa: E731
    if common_path.is_file():
        common, common_loc = read_yaml(common_path)
        common = _mapping(common or {}, (), common_loc)
    docs = []
    for f in files:
        if f.name == COMMON_FILE:
            continue
        data, loc = read_yaml(f)
        docs.append((_mapping(data or {}, (), loc), loc))
    lang = common.get("language") or next((d.get("language") for d, _ in docs if d.get("language")), None)
    if not isinstance(lang, str):
        raise DataError(f"{folder}: no `language:` in {COMMON_FILE} or the sentence files")
    for d, loc in docs:
        if d.get("language", lang) != lang:
            raise _data_error(loc, ("language",), f"expected language {lang!r}, got {d.get('language')!r}")
    responses = [(common.get("responses") or {}, common_loc)]
    answers = folder.parent.parent / "responses" / folder.name  # an intents checkout: responses/<lang>/
    for f in sorted(answers.glob("*.yaml")) if folder.parent.name == "sentences" and answers.is_dir() else ():
        data, loc = read_yaml(f)
        responses.append((_mapping(data or {}, (), loc).get("responses") or {}, loc))
    return _build(lang, common, common_loc, docs, _responses(responses))


def language_from_json(path: Path) -> Language:
    data, loc = read_json(path)
    data = _mapping(data, (), loc)
    lang = data.get("language")
    if not isinstance(lang, str):
        raise _data_error(loc, ("language",), "missing `language`")
    return _build(lang, data, loc, [(data, loc)], _responses([(data.get("responses") or {}, loc)]))


# ---- building the typed language ----------------------------------------------------------------------
def _data_error(loc: Locate, keys: tuple, message: str) -> DataError:
    f, line, col = loc(keys)
    where = f if line is None else f"{f}:{line}" + (f":{col}" if col else "")
    return DataError(f"{where}: {message}")


def _where(loc: Locate, keys: tuple) -> str:
    f, line, _ = loc(keys)
    return f if line is None else f"{f}:{line}"


def _mapping(v: Any, keys: tuple, loc: Locate) -> dict:
    if not isinstance(v, dict):
        raise _data_error(loc, keys, f"expected a mapping, got {type(v).__name__}")
    return v


def _seq(v: Any, keys: tuple, loc: Locate) -> list:
    if not isinstance(v, list):
        raise _data_error(loc, keys, f"expected a list, got {type(v).__name__}")
    return v


def _template(text: Any, keys: tuple, loc: Locate) -> Node:
    if not isinstance(text, str):
        raise _data_error(loc, keys, f"expected a template string, got {type(text).__name__}")
    try:
        return parse_template(text)
    except TemplateSyntaxError as exc:
        f, line, col = loc(keys)
        if line is None:
            raise DataError(f"{f}: bad template {text!r}: {exc} (column {exc.col})") from None
        raise GrammarError(f"bad template: {exc}", f, line, (col or 1) + exc.col - 1) from None


def _rules(d: Any, keys: tuple, loc: Locate, where: dict[str, str] | None = None) -> dict[str, Node]:
    out = {}
    for name, body in _mapping(d, keys, loc).items():
        out[str(name)] = _template(body, keys + (name,), loc)
        if where is not None:
            where[str(name)] = _where(loc, keys + (name,))
    return out


def _lists(d: Any, keys: tuple, loc: Locate) -> dict[str, SlotList]:
    return {str(name): _slot_list(str(name), body, keys + (name,), loc)
            for name, body in _mapping(d, keys, loc).items()}


def _slot_list(name: str, d: Any, keys: tuple, loc: Locate) -> SlotList:
    d = _mapping(d, keys, loc)
    if "values" in d:
        values = []
        for i, v in enumerate(_seq(d["values"], keys + ("values",), loc)):
            k = keys + ("values", i)
            if isinstance(v, str):
                node = _template(v, k, loc) if is_template(v) else Text(normalize(v))
                values.append(ListValue(node, v))
            elif isinstance(v, dict) and "in" in v:
                text_in = v["in"]
                if not isinstance(text_in, str):
                    raise _data_error(loc, k + ("in",), "`in` must be a string")
                node = _template(text_in, k + ("in",), loc) if is_template(text_in) else Text(normalize(text_in))
                ctx = v.get("context")
                if ctx is not None:
                    _mapping(ctx, k + ("context",), loc)
                values.append(ListValue(node, v.get("out"), ctx, v.get("metadata")))
            else:
                raise _data_error(loc, k, "a list value is a string or a mapping with `in` (and `out`)")
        return TextList(name, tuple(values))
    if "range" in d:
        r = _mapping(d["range"], keys + ("range",), loc)
        try:
            mult = r.get("multiplier")
            return RangeList(name, int(r["from"]), int(r["to"]), int(r.get("step", 1)), str(r.get("type", "number")),
                             float(mult) if mult is not None else None, bool(r.get("digits", True)),
                             bool(r.get("words", True)), r.get("words_language"), r.get("fractions"))
        except KeyError as exc:
            raise _data_error(loc, keys + ("range",), f"range needs {exc.args[0]!r}") from None
        except (TypeError, ValueError) as exc:
            raise _data_error(loc, keys + ("range",), f"bad range: {exc}") from None
    if d.get("wildcard", False):
        return WildcardList(name)
    raise _data_error(loc, keys, "a list has `values`, `range` or `wildcard: true`")


def _responses(parts: list[tuple[Any, Locate]]) -> Responses:
    """Response templates merged in order: `intents` (intent -> response key -> template), `errors`."""
    intents: dict[str, dict[str, str]] = {}
    errors: dict[str, str] = {}
    for d, loc in parts:
        d = _mapping(d, ("responses",), loc)
        for name, keys in _mapping(d.get("intents") or {}, ("responses", "intents"), loc).items():
            for key, text in _mapping(keys, ("responses", "intents", name), loc).items():
                intents.setdefault(str(name), {})[str(key)] = _text(text, ("responses", "intents", name, key), loc)
        for key, text in _mapping(d.get("errors") or {}, ("responses", "errors"), loc).items():
            errors[str(key)] = _text(text, ("responses", "errors", key), loc)
    return Responses(intents, errors)


def _text(v: Any, keys: tuple, loc: Locate) -> str:
    if not isinstance(v, str):
        raise _data_error(loc, keys, f"expected a response template (text), got {type(v).__name__}")
    return v


def _build(lang: str, common: dict, common_loc: Locate, docs: list[tuple[dict, Locate]],
           responses: Responses) -> Language:
    rule_where: dict[str, str] = {}
    lists = _lists(common.get("lists", {}), ("lists",), common_loc)
    rules = _rules(common.get("expansion_rules", {}), ("expansion_rules",), common_loc, rule_where)
    skip = _seq(common.get("skip_words", []), ("skip_words",), common_loc)
    settings = _mapping(common.get("settings", {}), ("settings",), common_loc)
    blocks: list[IntentBlock] = []
    counts: dict[str, int] = {}
    for doc, loc in docs:
        for intent, idict in _mapping(doc.get("intents", {}), ("intents",), loc).items():
            ik = ("intents", intent)
            data = _seq(_mapping(idict, ik, loc).get("data", []), ik + ("data",), loc)
            for i, b in enumerate(data):
                bk = ik + ("data", i)
                b = _mapping(b, bk, loc)
                if "sentences" not in b:
                    raise _data_error(loc, bk, "a data block needs `sentences`")
                sents = tuple(Sentence(s if isinstance(s, str) else "", _template(s, bk + ("sentences", j), loc),
                                       _where(loc, bk + ("sentences", j)))
                              for j, s in enumerate(_seq(b["sentences"], bk + ("sentences",), loc)))
                kw = b.get("required_keywords")
                blocks.append(IntentBlock(
                    intent=str(intent), index=counts.get(intent, 0), where=_where(loc, bk), sentences=sents,
                    slots=_mapping(b.get("slots", {}), bk + ("slots",), loc),
                    requires_context=_mapping(b.get("requires_context", {}), bk + ("requires_context",), loc),
                    excludes_context=_mapping(b.get("excludes_context", {}), bk + ("excludes_context",), loc),
                    expansion_rules=_rules(b.get("expansion_rules", {}), bk + ("expansion_rules",), loc),
                    lists=_lists(b.get("lists", {}), bk + ("lists",), loc),
                    response=b.get("response"), metadata=b.get("metadata"),
                    required_keywords=frozenset(fold_case(str(k)) for k in _seq(kw, bk + ("required_keywords",), loc))
                    if kw is not None else None))
                counts[intent] = counts.get(intent, 0) + 1
    return Language(lang, tuple(blocks), lists, rules, tuple(str(w) for w in skip),
                    bool(settings.get("ignore_whitespace", False)), rule_where, responses)
