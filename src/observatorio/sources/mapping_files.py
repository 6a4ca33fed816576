"""Reading mapping files (YAML or TOML) into a validated ``MappingSpec``, and the source facts
a mapping declares (``mapping_info``): no pandas, so the catalogue (sources/catalogue.py) lists
mapping-declared sources without the mapping engine. Registering them is ``mapping.py``'s job.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from observatorio.harmonize.problems import Problems, ValidationFailed
from observatorio.i18n import Pair, pair, t
from observatorio.settings import env_name
from observatorio.sources.info import SourceInfo
from observatorio.sources.mapping_spec import MappingSpec

#: Environment variable naming a folder of extra mapping files registered at startup.
MAPPINGS_ENV = env_name("mappings")
#: Mapping files shipped with the package, registered at startup like built-in adapters.
BUILTIN_MAPPINGS_DIR = Path(__file__).resolve().parent / "mappings"
MAPPING_SUFFIXES = (".yaml", ".yml", ".toml")


# -- reading mapping files ------------------------------------------------------------------


class MappingInvalid(ValidationFailed):
    """A mapping file is not valid; the report names the file and each key."""

    def message(self, lang: str = "es") -> str:
        lines = self.problems.render(lang).splitlines()
        lines[0] = t("report.mapping_title", lang, count=len(self.problems), file=self.problems.file)
        return "\n".join(lines)


def load_mapping(path: Path | str) -> MappingSpec:
    """The validated mapping in ``path`` (YAML or TOML); MappingInvalid lists every problem."""
    path = Path(path)
    problems = Problems(path.name)
    if not path.is_file():
        problems.add("bad_mapping", value=str(path), reason=pair("mapping_reason.file_not_found"))
        raise MappingInvalid(problems)
    text = _read_text(path, problems)
    if text is None:
        raise MappingInvalid(problems)
    data = _parse(path, text, problems)
    if data is None:
        raise MappingInvalid(problems)
    try:
        return MappingSpec.model_validate(data)
    except ValidationError as exc:
        lines = _yaml_lines(text) if path.suffix.lower() != ".toml" else {}
        for err in exc.errors():
            loc = tuple(str(p) for p in err["loc"])
            key = ".".join(loc) or "(root)"
            given = err.get("input")
            if isinstance(given, dict) and set(given) == {"constant"}:
                given = given["constant"]  # `flow: X` shorthand: show what the user wrote
            shown = given if not isinstance(given, dict | list) else None
            problems.add("bad_mapping", row=_line_of(lines, loc), column=key, value=shown,
                         reason=_pydantic_reason(err))
        raise MappingInvalid(problems) from None


def _read_text(path: Path, problems: Problems) -> str | None:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problems.add("bad_mapping", row=line, reason=pair("mapping_reason.not_utf8"))
        return None


def _parse(path: Path, text: str, problems: Problems) -> dict[str, Any] | None:
    if path.suffix.lower() == ".toml":
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            found = re.search(r"line (\d+)", str(exc))
            problems.add("bad_mapping", row=int(found.group(1)) if found else None,
                         reason=f"TOML syntax: {exc}")
            return None
    try:
        data = yaml.load(text, Loader=_MappingLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problems.add("bad_mapping", row=mark.line + 1 if mark else None,
                     reason=f"YAML syntax: {getattr(exc, 'problem', None) or exc}")
        return None
    if not isinstance(data, dict):
        problems.add("bad_mapping", reason=pair("mapping_reason.not_a_mapping"))
        return None
    return data


class _MappingLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 scalars: only true/false are booleans and dates stay text.

    YAML 1.1 reads ``No``/``Sí``-style labels (``No: _U``) as booleans and builds dates itself
    (crashing on ``2024-13-01`` with no line); pydantic checks the text instead and names the key.
    """


_MappingLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers
            if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_MappingLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def _pydantic_reason(err: Any) -> str | Pair:
    kind = err.get("type", "")
    if kind == "missing":
        return pair("mapping_reason.missing_key")
    if kind == "extra_forbidden":
        return pair("mapping_reason.unknown_key")
    msg = str(err.get("msg", ""))
    return msg.removeprefix("Value error, ")


def _yaml_lines(text: str) -> dict[tuple[str, ...], int]:
    """1-based line of every key path in a YAML document (for error messages)."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return {}
    out: dict[tuple[str, ...], int] = {}

    def walk(node: Any, path: tuple[str, ...]) -> None:
        out.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                child = (*path, str(key.value))
                out[child] = key.start_mark.line + 1
                walk(value, child)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, (*path, str(i)))

    if root is not None:
        walk(root, ())
    return out


def _line_of(lines: dict[tuple[str, ...], int], loc: tuple[str, ...]) -> int | None:
    # pydantic adds the union/model branch names to `loc`; the nearest known prefix is close enough.
    for n in range(len(loc), -1, -1):
        if loc[:n] in lines:
            return lines[loc[:n]] if n else None
    return None


def mapping_files(folder: Path) -> list[Path]:
    """The mapping files in ``folder`` (not recursive), in a stable order."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in MAPPING_SUFFIXES and p.is_file())


def mapping_info(spec: MappingSpec, mapping_path: Path) -> SourceInfo:
    """The SourceInfo of the mapping in ``mapping_path`` (resolved: named in ``extra``)."""
    src = spec.source
    return SourceInfo(
        id=src.id,
        folder=src.folder or src.id.split(".")[0],
        filename=src.filename or (Path(src.file).name if src.file else "*"),
        publisher=src.publisher,
        title_es=src.title_es,
        title_en=src.title_en,
        licence=src.licence,
        dataflow=src.dataflow,
        release=src.release,
        url=src.url,
        homepage=src.homepage,
        caveats_es=tuple(src.caveats_es),
        caveats_en=tuple(src.caveats_en),
        extra={"mapping": str(mapping_path)},
    )
