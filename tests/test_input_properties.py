"""Any input gives a result or one `AzprovError`, never another exception.

Property-based (hypothesis): arbitrary JSON-ish documents, the bundled examples with
random parts replaced or removed, and arbitrary TOML-ish text go through the state
reader, the plan reader, the snapshot loader and the settings loader, and through what
reads their results next (normalization, policy). Examples are derandomized, so CI runs
the same 150 every time; `AZPROV_HYPOTHESIS_EXAMPLES=2000` searches further by hand.
"""

from __future__ import annotations

import json
import os
import string
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from provisioner.analysers.policy import planned_resources, rules_for
from provisioner.cli import app
from provisioner.config import load_settings
from provisioner.errors import AzprovError
from provisioner.input_files import MAX_DEPTH
from provisioner.live import load_snapshot
from provisioner.pipeline import live_resources, state_resources
from provisioner.state import parse_state
from provisioner.state.plan import parse_plan

EXAMPLES = Path(__file__).parent.parent / "examples"
README = Path(__file__).parent.parent / "README.md"

PROPERTY = settings(
    max_examples=int(os.environ.get("AZPROV_HYPOTHESIS_EXAMPLES", "150")),
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# Keys the readers look for, so random documents reach past the first check.
KEYS = [
    "version", "format_version", "terraform_version", "resources", "values", "root_module",
    "child_modules", "prior_state", "planned_values", "mode", "type", "name", "module",
    "instances", "index_key", "attributes", "sensitive_attributes", "sensitive_values",
    "address", "resource_changes", "resource_drift", "output_changes", "change", "actions",
    "before", "after", "after_unknown", "before_sensitive", "after_sensitive",
    "replace_paths", "importing", "id", "format", "environment", "subscription_id",
    "taken_at", "resource_groups", "coverage", "listed", "fetched", "unread", "properties",
    "tags", "sku", "location", "identity", "template", "containers", "env", "value",
]  # fmt: skip
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(["managed", "data", "azurerm_container_app", "update", "create", "delete",
                       "azprov-snapshot/1", "prod", 4, "1.2"])
)  # fmt: skip
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), inner, max_size=5)
    ),
    max_leaves=30,
)


def _example(name: str) -> Any:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


def _places(doc: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in `doc` (a path of keys and indexes), the whole document first."""
    places = [path]
    if isinstance(doc, dict | list):
        for key, child in doc.items() if isinstance(doc, dict) else enumerate(doc):
            places += _places(child, (*path, key))
    return places


@st.composite
def mutated(draw: st.DrawFn, doc: Any) -> Any:
    """`doc` with a few parts replaced or removed. A depth is drawn first, then a place at
    that depth, so the few structural fields near the top are hit as often as the many
    attribute values deep down."""
    doc = json.loads(json.dumps(doc))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        by_depth: dict[int, list[tuple[Any, ...]]] = {}
        for place in _places(doc)[1:]:
            by_depth.setdefault(len(place), []).append(place)
        if not by_depth:
            break
        depth = draw(st.sampled_from(sorted(by_depth)))
        *steps, last = draw(st.sampled_from(by_depth[depth]))
        parent = doc
        for step in steps:
            parent = parent[step]
        if isinstance(parent, dict) and draw(st.booleans()):
            del parent[last]
        else:
            parent[last] = draw(JSON)
    return doc


def documents(*examples: str) -> st.SearchStrategy[Any]:
    """Random JSON, or one of the bundled `examples` mutated."""
    return JSON | st.sampled_from(examples).map(_example).flatmap(mutated)


def _state_then_normalized(text: str) -> None:
    state_resources(parse_state(text, source="s.json"))


@PROPERTY
@given(documents("prod.tfstate.json", "test.tfstate.json", "prod.tfplan.json"))
def test_the_state_reader_reads_or_refuses_anything(doc: Any) -> None:
    try:
        _state_then_normalized(json.dumps(doc))
    except AzprovError as exc:
        assert "\n" not in str(exc)


@PROPERTY
@given(st.text(max_size=40) | st.text(alphabet='{}[]":,0123456789 ', max_size=60))
def test_the_state_reader_reads_or_refuses_any_text(text: str) -> None:
    try:
        _state_then_normalized(text)
    except AzprovError as exc:
        assert "\n" not in str(exc)


@PROPERTY
@given(documents("prod.tfplan.json"))
def test_the_plan_reader_reads_or_refuses_anything(doc: Any) -> None:
    try:
        planned_resources(parse_plan(json.dumps(doc), source="p.json"))
    except AzprovError as exc:
        assert "\n" not in str(exc)


@PROPERTY
@given(documents("prod.live.json", "test.live.json"))
def test_the_snapshot_loader_reads_or_refuses_anything(tmp_path: Path, doc: Any) -> None:
    path = tmp_path / "live.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    for environment in ("prod", "test"):
        try:
            live_resources(load_snapshot(path, environment))
        except AzprovError as exc:
            assert "\n" not in str(exc)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return (
            "{" + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"
        )
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else str(value)


def _toml(tables: dict[str, Any]) -> str:
    """A TOML document: top-level values first, then one `[table]` per dict."""
    lines = [f"{json.dumps(k)} = {_toml_value(v)}" for k, v in tables.items()
             if not isinstance(v, dict)]  # fmt: skip
    for name, body in tables.items():
        if isinstance(body, dict):
            lines.append(f"[{name}]")
            lines += [f"{json.dumps(k)} = {_toml_value(v)}" for k, v in body.items()]
    return "\n".join(lines) + "\n"


README_TOML = README.read_text(encoding="utf-8").split("## Configuration", 1)[1]
README_TOML = README_TOML.split("```toml\n", 1)[1].split("```", 1)[0]
SETTING_KEYS = ["terraform", "environments", "environments.prod", "environments.test",
                "environments.prod.policy.app-min-replicas", "policy.pg-backup-retention",
                "isolation", "backend", "dir", "state_key", "var_file", "resource_groups",
                "ignore", "enabled", "shared", "min", "min_days", "reason"]  # fmt: skip
TOML_SCALARS = (
    st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.text(alphabet=string.printable, max_size=10)
    | st.sampled_from(["x", "prod", "terraform"])
)
TOML_VALUES = st.recursive(
    TOML_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(SETTING_KEYS) | st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=12,
)
TOML_TEXT = (
    st.builds(_toml, st.dictionaries(st.sampled_from(SETTING_KEYS), TOML_VALUES, max_size=5))
    | st.text(alphabet=string.printable, max_size=80)
    | st.lists(st.sampled_from(README_TOML.splitlines()), max_size=20).map("\n".join)
)


@PROPERTY
@given(TOML_TEXT)
def test_the_settings_loader_reads_or_refuses_anything(tmp_path: Path, text: str) -> None:
    path = tmp_path / "azprov.toml"
    path.write_text(text, encoding="utf-8")
    try:
        loaded = load_settings(path)
        for name in loaded.environments:
            rules_for(loaded, name)
    except AzprovError as exc:
        assert "\n" not in str(exc)


# -- nesting at the limit: nothing downstream recurses out ----------------------------


def _nested(levels: int) -> Any:
    """A JSON value `levels` objects and arrays deep."""
    value: Any = "deep"
    for i in range(levels):
        value = {"k": value} if i % 2 else [value]
    return value


def test_a_state_as_deep_as_allowed_is_read_and_normalized() -> None:
    doc = _example("prod.tfstate.json")
    # the document, resources, [0], instances, [0], attributes, tags: 7 levels above x
    doc["resources"][0]["instances"][0]["attributes"]["tags"]["x"] = _nested(MAX_DEPTH - 7)
    state_resources(parse_state(json.dumps(doc), source="s.json"))
    doc["resources"][0]["instances"][0]["attributes"]["tags"]["x"] = _nested(MAX_DEPTH - 6)
    with pytest.raises(AzprovError, match="nests deeper than 100 levels"):
        parse_state(json.dumps(doc), source="s.json")


def test_a_plan_as_deep_as_allowed_is_read_and_judged() -> None:
    doc = _example("prod.tfplan.json")
    change = doc["resource_changes"][0]["change"]
    # the document, resource_changes, [0], change, after, tags: 6 levels above x
    change["after"]["tags"]["x"] = _nested(MAX_DEPTH - 6)
    change["after_sensitive"] = {"tags": {"x": _nested(MAX_DEPTH - 6)}}
    planned_resources(parse_plan(json.dumps(doc), source="p.json"))


def test_documents_as_deep_as_allowed_go_through_verify_and_audit(tmp_path: Path) -> None:
    """State, snapshot and plan at the limit, through every reader, analyser and report."""
    state = _example("prod.tfstate.json")
    state["resources"][0]["instances"][0]["attributes"]["tags"]["x"] = _nested(MAX_DEPTH - 7)
    live = _example("prod.live.json")
    # the document, resources, [1], properties: 4 levels above `deep`
    live["resources"][1]["properties"]["deep"] = _nested(MAX_DEPTH - 4)
    plan = _example("prod.tfplan.json")
    plan["resource_changes"][0]["change"]["after"]["tags"]["x"] = _nested(MAX_DEPTH - 6)
    for name, doc in {"s.json": state, "l.json": live, "p.json": plan}.items():
        (tmp_path / name).write_text(json.dumps(doc), encoding="utf-8")
    sides = ["--state", "s.json", "--live", "l.json"]
    others = ["--state", f"test={EXAMPLES / 'test.tfstate.json'}",
              "--live", f"test={EXAMPLES / 'test.live.json'}"]  # fmt: skip
    for argv in (
        ["verify", "--env", "prod", *sides, *others],
        ["audit", "--env", "prod", "--plan", "p.json", *sides, *others, "-f", "html"],
    ):
        result = CliRunner().invoke(app, argv)
        assert result.exit_code == 2, result.output
        assert isinstance(result.exception, SystemExit)
