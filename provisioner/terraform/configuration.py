"""Read the Terraform configuration (`terraform/*.tf`, `<env>.tfvars`) with python-hcl2.

Only what azprov needs: which backend the configuration declares (so that `init` can give
each environment its own state there), which root-module addresses it declares, which
expression sets an attribute of a resource, and where a variable is set in a var-file.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from provisioner.errors import ConfigError

_VAR_REF = re.compile(r"^\$\{var\.([A-Za-z_][A-Za-z0-9_-]*)\}$")


def _unquote(text: Any) -> Any:
    """python-hcl2 8 keeps the quotes of labels and string literals; 7 does not."""
    if isinstance(text, str) and len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1]
    return text


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"cannot read {path}: it is not UTF-8 text") from None


def _load(path: Path) -> dict[str, Any]:
    import hcl2  # lark grammar: ~40 ms, only for the commands that read HCL

    try:
        with path.open(encoding="utf-8") as handle:
            loaded: dict[str, Any] = hcl2.load(handle)
            return loaded
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    except Exception as exc:  # python-hcl2 raises lark errors of several kinds
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"{path} is not valid HCL: {first}") from None


@dataclass(frozen=True)
class TerraformConfig:
    """The root module's resource blocks and import blocks, by address."""

    resources: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    import_targets: frozenset[str] = frozenset()

    @property
    def addresses(self) -> frozenset[str]:
        return frozenset(self.resources) | self.import_targets


def read_config(terraform_dir: Path) -> TerraformConfig:
    """Parse every `*.tf` file in `terraform_dir` (an absent directory reads as empty)."""
    resources: dict[str, Mapping[str, Any]] = {}
    targets: set[str] = set()
    for path in sorted(terraform_dir.glob("*.tf")):
        doc = _load(path)
        for block in doc.get("resource") or ():
            for tf_type, named in block.items():
                for name, body in named.items():
                    resources[f"{_unquote(tf_type)}.{_unquote(name)}"] = body
        for block in doc.get("import") or ():
            to = block.get("to")
            if isinstance(to, str):
                targets.add(to.removeprefix("${").removesuffix("}"))
    return TerraformConfig(resources, frozenset(targets))


@dataclass(frozen=True)
class IgnoreChanges:
    """A resource block's `lifecycle { ignore_changes = ... }`."""

    everything: bool = False  # `ignore_changes = all`
    # Attribute paths as Terraform writes them, indices as `*`:
    # `tags`, `template.*.container.*.image`.
    paths: tuple[str, ...] = ()

    def covers(self, state_path: str) -> bool:
        """Whether Terraform ignores changes to `state_path` (`tags.owner`, `sku_name`)."""
        if self.everything:
            return True
        steps = state_path.split(".")
        return any(_prefix_of(p.split("."), steps) for p in self.paths)


def _prefix_of(prefix: list[str], steps: list[str]) -> bool:
    return len(prefix) <= len(steps) and all(
        a == b or "*" in (a, b) for a, b in zip(prefix, steps, strict=False)
    )


_INDEX = re.compile(r"\[(?:\d+|\*|\"((?:[^\"\\]|\\.)*)\"|'([^']*)')\]")


def _ignore_path(expression: Any) -> str | None:
    """`template[0].container[0].image` -> `template.*.container.*.image`;
    `tags["a"]` -> `tags.a`."""
    if not isinstance(expression, str):
        return None
    text = expression.strip().removeprefix("${").removesuffix("}").strip()
    text = _INDEX.sub(lambda m: "." + (m[1] if m[1] is not None else m[2] or "*"), text)
    steps = ["*" if step.isdigit() else step for step in text.split(".") if step]
    return ".".join(steps) or None


def lifecycle_ignores(terraform_dir: Path) -> dict[str, IgnoreChanges]:
    """Each root-module resource block's `ignore_changes`, by `TYPE.NAME`.

    Files that never say `ignore_changes` are not parsed (python-hcl2 is slow). A list
    index in a path (`container[0]`) covers every member of that list: azprov compares
    blocks by name, not by position.
    """
    found: dict[str, IgnoreChanges] = {}
    for path in sorted(terraform_dir.glob("*.tf")) if terraform_dir.is_dir() else ():
        if "ignore_changes" not in _text(path):
            continue
        for block in _load(path).get("resource") or ():
            for tf_type, named in block.items():
                for name, body in named.items():
                    ignores = _block_ignores(body)
                    if ignores is not None:
                        found[f"{_unquote(tf_type)}.{_unquote(name)}"] = ignores
    return found


def _block_ignores(body: Any) -> IgnoreChanges | None:
    lifecycles = body.get("lifecycle") if isinstance(body, Mapping) else None
    for lifecycle in lifecycles if isinstance(lifecycles, list) else ():
        value = lifecycle.get("ignore_changes") if isinstance(lifecycle, Mapping) else None
        if value is None:
            continue
        if isinstance(value, str) and _ignore_path(value) == "all":
            return IgnoreChanges(everything=True)
        items = value if isinstance(value, list) else [value]
        return IgnoreChanges(paths=tuple(p for p in map(_ignore_path, items) if p))
    return None


@dataclass(frozen=True)
class BackendBlock:
    """The `backend "TYPE" {}` (or `cloud {}`) block of a `terraform {}` block."""

    type: str  # "azurerm", "local", ...; "cloud" for an HCP Terraform `cloud` block
    path: Path  # the file that declares it


def declared_backends(terraform_dir: Path) -> list[BackendBlock]:
    """Every backend or `cloud` block in the `*.tf` files of `terraform_dir`, in file order."""
    found: list[BackendBlock] = []
    for path in sorted(terraform_dir.glob("*.tf")):
        # Parsing is slow and python-hcl2 lags terraform's syntax: only files that can
        # declare one are parsed.
        if not re.search(r"\b(backend|cloud)\b", _text(path)):
            continue
        for settings in _load(path).get("terraform") or ():
            if not isinstance(settings, Mapping):
                continue
            for block in settings.get("backend") or ():
                if isinstance(block, Mapping):
                    found += [BackendBlock(str(_unquote(label)), path) for label in block]
            if settings.get("cloud"):
                found.append(BackendBlock("cloud", path))
    return found


def attribute_expression(body: Mapping[str, Any], attribute: str) -> Any:
    """The expression behind a normalized attribute name, or None when not set there.

    `template.container[backend].image` walks the `template` block, then the `container`
    block whose `name` is `backend`, then its `image` argument.
    """
    node: Any = body
    for part in attribute.split("."):
        key, _, member = part.partition("[")
        member = member.removesuffix("]")
        if isinstance(node, list):
            node = node[0] if len(node) == 1 else None
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
        if member:
            blocks = node if isinstance(node, list) else [node]
            node = next(
                (b for b in blocks if isinstance(b, Mapping) and _unquote(b.get("name")) == member),
                None,
            )
    return node


def variable_of(expression: Any) -> str | None:
    """`${var.postgres_sku_name}` -> `postgres_sku_name`; anything else -> None."""
    if isinstance(expression, str):
        found = _VAR_REF.match(expression)
        return found[1] if found else None
    return None


@dataclass(frozen=True)
class VarFileLine:
    path: Path
    line: int
    text: str


def var_file_line(var_file: Path, variable: str) -> VarFileLine | None:
    """Where `variable` is set in a var-file, if it is (checked with hcl2, located by text)."""
    if not var_file.is_file() or variable not in _load(var_file):
        return None
    pattern = re.compile(rf"^\s*{re.escape(variable)}\s*=")
    for number, text in enumerate(var_file.read_text(encoding="utf-8").splitlines(), start=1):
        if pattern.match(text):
            return VarFileLine(var_file, number, text.strip())
    return None


def hcl_value(value: Any) -> str:
    """A Python value as an HCL literal: strings by `hcl_string`, JSON-like otherwise."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int) or (isinstance(value, float) and math.isfinite(value)):
        return str(value)
    if isinstance(value, str):
        return hcl_string(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(hcl_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return (
            "{ "
            + ", ".join(f"{hcl_string(str(k))} = {hcl_value(v)}" for k, v in value.items())
            + " }"
        )
    return hcl_string(str(value))  # NaN and infinity have no HCL spelling


def hcl_string(text: str) -> str:
    """`text` as a quoted HCL string that spans one line and reads back as exactly `text`.

    Azure names reach the files azprov writes, so nothing in them may end the string or
    the line, or be evaluated: quotes, backslashes and control characters are escaped, and
    `${` and `%{` are doubled, which HCL reads as a literal `${` and `%{`.
    """
    body = _escaped(text, '"\\')
    return '"' + body.replace("${", "$${").replace("%{", "%%{") + '"'


def hcl_comment(text: str) -> str:
    """`# text` on one line: a newline or other control character in `text` is shown
    escaped (`\\n`), so it can neither end the comment nor hide what follows it."""
    return "# " + _escaped(text, "")


_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t", '"': '\\"', "\\": "\\\\"}
# Unicode categories never written raw: controls (C0, C1, DEL), format characters (bidi
# overrides can make a line read differently from how it parses), line and paragraph
# separators, and lone surrogates (no UTF-8 spelling at all).
_UNSAFE = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})


def _escaped(text: str, also: str) -> str:
    """`text` with its unsafe characters (and those in `also`) as HCL escapes."""
    out = []
    for char in text:
        category = unicodedata.category(char)
        if char in _SHORT and (char in also or category == "Cc"):
            out.append(_SHORT[char])
        elif category == "Cs":
            out.append("\\ufffd")  # the replacement character: a lone surrogate is no text
        elif category in _UNSAFE:
            code = ord(char)
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
        else:
            out.append(char)
    return "".join(out)


# --- where a resource is declared (SARIF locations) -------------------------------------

# `module.app[0].`: one step of a module path, its instance key dropped.
_MODULE_STEP = re.compile(r'module\.([A-Za-z0-9_-]+)(?:\[(?:"(?:[^"\\]|\\.)*"|[^\]]*)\])?\.')
_RESOURCE = re.compile(r"^(?:(data)\.)?([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)(?:\[.*\])?$")


@dataclass(frozen=True)
class BlockLine:
    """Where a block starts: the line of `resource "TYPE" "NAME" {` in a `.tf` file."""

    path: Path
    line: int


def _label_text(node: Any) -> str:
    """A block label or identifier as written: `"rg"` and `rg` both give `rg`."""
    text = "".join(node.scan_values(lambda v: isinstance(v, str)))  # lark tokens are str
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text


def _blocks(path: Path) -> list[tuple[tuple[str, ...], int]]:
    """Top-level blocks of one file: (keyword and labels, first line), from the parse tree.

    The parse tree keeps positions (python-hcl2's dict form does not, in version 8), and
    only top-level blocks count: a `resource` inside a heredoc or a comment is never one.
    """
    import hcl2

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    parse = getattr(hcl2, "parses_to_tree", None) or hcl2.parses  # version 8, version 7
    try:
        tree = parse(text)
    except Exception as exc:  # lark raises errors of several kinds
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"{path} is not valid HCL: {first}") from None
    body = next(c for c in tree.children if getattr(c, "data", None) == "body")
    found = []
    for block in body.children:
        if getattr(block, "data", None) != "block":
            continue
        labels = tuple(
            _label_text(child)
            for child in block.children
            if getattr(child, "data", None) in ("identifier", "string")
        )
        found.append((labels, block.meta.line))
    return found


class ResourceBlocks:
    """Finds the block that declares a resource address, across local modules.

    `azurerm_container_app.backend["x"]` is declared by `resource "azurerm_container_app"
    "backend"`; `module.app.azurerm_x.y` by that block in the module's directory when its
    `source` is a local path, otherwise by the `module "app"` block that calls it.
    """

    def __init__(self, root_dir: Path) -> None:
        self._root = root_dir
        self._dirs: dict[Path, tuple[dict[tuple[str, ...], BlockLine], dict[str, Path]]] = {}

    def _read(self, directory: Path) -> tuple[dict[tuple[str, ...], BlockLine], dict[str, Path]]:
        if directory not in self._dirs:
            lines: dict[tuple[str, ...], BlockLine] = {}
            sources: dict[str, Path] = {}
            for path in sorted(directory.glob("*.tf")):
                for labels, line in _blocks(path):
                    lines.setdefault(labels, BlockLine(path, line))
                for call in _load(path).get("module") or ():
                    for name, body in call.items():
                        source = _unquote(body.get("source")) if isinstance(body, dict) else None
                        if isinstance(source, str) and source.startswith(("./", "../")):
                            sources[_unquote(name)] = directory / source
            self._dirs[directory] = (lines, sources)
        return self._dirs[directory]

    def locate(self, address: str) -> BlockLine | None:
        """The block declaring `address`, or None when no `.tf` file here declares it."""
        directory, rest = self._root, address
        caller: BlockLine | None = None
        while found := _MODULE_STEP.match(rest):
            lines, sources = self._read(directory)
            call = lines.get(("module", found[1]))
            if call is None:
                return caller
            caller, rest = call, rest[found.end() :]
            if found[1] not in sources:
                return caller
            directory = sources[found[1]]
        resource = _RESOURCE.match(rest)
        if resource is None:
            return caller
        keyword = "data" if resource[1] else "resource"
        lines, _ = self._read(directory)
        return lines.get((keyword, resource[2], resource[3]), caller)
