"""Redaction and normalization pinned on a large generated world, so a speed-up cannot
change their results unnoticed.

The world is the benchmark's generator (`bench.generate`) at a fixed size and seed, from
the fixtures of the types registered when this golden file was written (types added later
do not change it): some 3,000 ARM bodies and 3,000 state records, shaped like Azure's REST
examples with realistic tags, env lists, network rules and placeholder secrets. For every
body and every state record the test computes `redact_body`, `redact_text` on every string,
and the normalized attributes (`from_arm`, `from_state`), and compares digests per type
with `tests/fixtures/golden/redaction-normalization.json`, which also keeps a few hundred
redacted strings to show what changed.

When the generator or those fixtures change on purpose (the input digest differs), or
normalization is meant to change (a registry entry compares a new attribute), regenerate:

    .venv/bin/python -m tests.test_redaction_golden
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections import defaultdict
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from bench.generate import Generated, generate
from provisioner.mapping.normalize import from_arm, from_state, lookups_for
from provisioner.model import UNREADABLE, Resource, Sensitive, redact_body, redact_text
from provisioner.state import parse_state

GOLDEN = Path(__file__).parent / "fixtures" / "golden" / "redaction-normalization.json"
SIZE = 3000
SEED = 15
# The types whose fixtures the world is cloned from: those registered when it was pinned.
TYPES = frozenset({
    "azurerm_container_app", "azurerm_container_app_environment", "azurerm_container_registry",
    "azurerm_log_analytics_workspace", "azurerm_postgresql_flexible_server",
    "azurerm_postgresql_flexible_server_database",
    "azurerm_postgresql_flexible_server_firewall_rule", "azurerm_resource_group",
    "azurerm_role_assignment", "azurerm_user_assigned_identity",
})  # fmt: skip
SAMPLES = 300
_SHAPE = re.compile(r"b\d{4}|[0-9a-f-]{8,}")  # what differs between stacks
REGENERATE = ".venv/bin/python -m tests.test_redaction_golden"


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _plain(value: Any) -> Any:
    """A normalized value as JSON: Sensitive and UNREADABLE as markers (a Sensitive's
    fingerprint is hash()-based, so it differs between processes)."""
    if isinstance(value, Sensitive):
        return "<sensitive>"
    if value is UNREADABLE:
        return "<unreadable>"
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _resource(res: Resource | None) -> Any:
    if res is None:
        return None
    attributes = {name: _plain(value) for name, value in res.attributes.items()}
    return [str(res.id), res.arm_type, res.tf_type, res.address, attributes]


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, Mapping):
        for key, sub in value.items():
            yield str(key)
            yield from _strings(sub)
    elif isinstance(value, list):
        for sub in value:
            yield from _strings(sub)
    elif isinstance(value, str):
        yield value


def _samples(redacted: list[str]) -> list[str]:
    """Up to SAMPLES redacted strings, taken in turn from each shape (a connection string,
    a URL with a password, a token), so that no shape crowds out the others."""
    shapes: dict[str, list[str]] = defaultdict(list)
    for text in redacted:
        shapes[_SHAPE.sub("#", text)[:24]].append(text)
    out: list[str] = []
    queues = [iter(group) for _, group in sorted(shapes.items())]
    while queues and len(out) < SAMPLES:
        for queue in list(queues):
            item = next(queue, None)
            if item is None:
                queues.remove(queue)
            elif len(out) < SAMPLES:
                out.append(item)
    return out


@cache
def world() -> Generated:
    return generate(SIZE, seed=SEED, only=TYPES)


def results(generated: Generated) -> dict[str, Any]:
    """The digests (and samples) the golden file holds, computed now."""
    bodies = sorted(generated.world.bodies.items())
    state = parse_state(generated.state_json(), "golden")
    by_arm_type: dict[str, list[Any]] = defaultdict(list)
    for key, body in bodies:
        by_arm_type[str(body.get("type", "")).lower()].append([key, redact_body(body)])
    by_tf_type: dict[str, list[Any]] = defaultdict(list)
    for record in state.resources:
        by_tf_type[record.tf_type].append([record.address, redact_body(record.attributes)])
    lookups = lookups_for(b for _, b in bodies)
    normalized_arm: dict[str, list[Any]] = defaultdict(list)
    for _, body in bodies:
        res = from_arm(body, lookups)
        normalized_arm[res.tf_type or res.arm_type.lower()].append(_resource(res))
    normalized_state: dict[str, list[Any]] = defaultdict(list)
    for record in state.resources:
        normalized_state[record.tf_type].append(_resource(from_state(record)))
    strings = sorted({s for _, b in bodies for s in _strings(b)}
                     | {s for r in state.resources for s in _strings(r.attributes)})  # fmt: skip
    redacted = [redact_text(s) for s in strings]
    changed = [out for s, out in zip(strings, redacted, strict=True) if out != s]
    return {
        "world": {
            "size": SIZE,
            "seed": SEED,
            "types": sorted(TYPES),
            "bodies": len(bodies),
            "state_resources": len(state.resources),
            "input_sha256": _digest([bodies, generated.state]),
        },
        "redact_body": {
            "bodies": {t: _digest(v) for t, v in sorted(by_arm_type.items())},
            "state": {t: _digest(v) for t, v in sorted(by_tf_type.items())},
        },
        "redact_text": {
            "strings": len(strings),
            "changed": len(changed),
            "sha256": _digest(redacted),
            "samples": _samples(changed),
        },
        "from_arm": {t: _digest(v) for t, v in sorted(normalized_arm.items())},
        "from_state": {t: _digest(v) for t, v in sorted(normalized_state.items())},
    }


@cache
def computed() -> dict[str, Any]:
    return results(world())


def golden() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(GOLDEN.read_text(encoding="utf-8"))
    return doc


def test_the_world_is_the_one_pinned() -> None:
    """Otherwise the other tests compare different inputs: regenerate, on purpose."""
    now, pinned = computed()["world"], golden()["world"]
    assert now == pinned, f"the generated world changed; if that is meant, run {REGENERATE}"
    assert now["bodies"] > 3000 and now["state_resources"] == SIZE


def test_redact_body_gives_the_pinned_bodies_and_state_records() -> None:
    now, pinned = computed()["redact_body"], golden()["redact_body"]
    for side in ("bodies", "state"):
        changed = sorted(t for t in pinned[side] if now[side].get(t) != pinned[side][t])
        assert not changed and now[side].keys() == pinned[side].keys(), (side, changed)


def test_redact_text_gives_the_pinned_strings() -> None:
    now, pinned = computed()["redact_text"], golden()["redact_text"]
    assert now["samples"] == pinned["samples"]
    assert (now["strings"], now["changed"]) == (pinned["strings"], pinned["changed"])
    assert now["sha256"] == pinned["sha256"]


def test_the_pinned_world_holds_secrets_to_redact() -> None:
    """A pin on a world without secrets would hold whatever redaction did."""
    samples = golden()["redact_text"]["samples"]
    assert len(samples) >= 100
    assert all("***" in s for s in samples)
    for shape in (":***@", "AccountKey=***", "sig=***"):
        assert any(shape in s for s in samples), shape
    assert "placeholder" not in json.dumps(samples)


def test_from_arm_and_from_state_give_the_pinned_attributes() -> None:
    now, pinned = computed(), golden()
    for side in ("from_arm", "from_state"):
        changed = sorted(t for t in pinned[side] if now[side].get(t) != pinned[side][t])
        assert not changed and now[side].keys() == pinned[side].keys(), (side, changed)


def main() -> int:
    GOLDEN.parent.mkdir(parents=True, exist_ok=True)
    GOLDEN.write_text(json.dumps(computed(), indent=1) + "\n", encoding="utf-8")
    print(f"wrote {GOLDEN}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
