"""Read the Terraform configuration (`terraform/*.tf`, `<env>.tfvars`) with python-hcl2.

Only what adoption needs: which root-module addresses the configuration declares, which
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
