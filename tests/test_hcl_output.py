"""Azure names never write HCL of their own: `imports.<env>.tf`, the var-file lines
`reconcile` writes and the commands it shows, with hostile names, parsed back."""

from __future__ import annotations

import base64
import json
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import hcl2
import pytest
from typer.testing import CliRunner

from provisioner.cli import app
from provisioner.model import Finding, FindingKind, Severity
from provisioner.registry import canonical_id
from provisioner.terraform.adoption import import_plan, render_imports
from provisioner.terraform.configuration import hcl_comment, hcl_string, hcl_value
from tests.conftest import write_state
from tests.factories import example_prod, storage_account_properties
from tests.test_import_cli import snapshot
from tests.test_reconcile_cli import MAIN_TF, PROD_TFVARS, SKU

SUBSCRIPTION = "3f2c8a9e-1b7d-4c55-9a0e-6d2f4b8c1e70"
GROUP = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-stockapp-prod/providers"
# Names an attacker who can name an Azure resource might choose ("/" cannot be in a name).
HOSTILE = [
    'x"\n}\nresource "terraform_data" "pwned" {\n  input = "owned"\n}\n#',
    'quote"and\\backslash',
    '${file("secrets.txt")}',
    "%{ if true }template%{ endif }",
    "$${already doubled} and $$${tripled}",
    "esc\x1b[2J\x07bell",
    "cr\rlf\ntab\t",
    "line\u2028paragraph\u2029next\x85c1",
    "bidi\u202eoverride\u200bzero-width",
    "del\x7fnul\x00",
    "emoji \U0001f600 and é",
]


def decode(literal: str) -> str:
    """An HCL quoted string as python-hcl2 8 returns it (quotes and escapes kept) -> text."""
    assert literal[0] == literal[-1] == '"', literal
    body, out, i = literal[1:-1], [], 0
    simple = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
    while i < len(body):
        if body[i] == "\\":
            kind = body[i + 1]
            width = {"u": 4, "U": 8}.get(kind, 0)
            out.append(simple[kind] if not width else chr(int(body[i + 2 : i + 2 + width], 16)))
            i += 2 + width
        elif body.startswith(("$${", "%%{"), i):
            out.append(body[i + 1 : i + 3])
            i += 3
        else:
            assert not body.startswith(("${", "%{"), i), f"a template sequence in {literal}"
            out.append(body[i])
            i += 1
    return "".join(out)


@pytest.mark.parametrize("text", HOSTILE)
def test_a_string_reads_back_as_itself(text: str) -> None:
    literal = hcl_string(text)
    assert "\n" not in literal and "\r" not in literal
    parsed = hcl2.loads(f"x = {literal}\n")
    assert [k for k in parsed if not k.startswith("__")] == ["x"]
    assert decode(parsed["x"]) == text


@pytest.mark.parametrize("text", HOSTILE)
def test_a_comment_stays_one_comment(text: str) -> None:
    comment = hcl_comment(text)
    assert len(comment.splitlines()) == 1 and comment.startswith("# ")
    assert [k for k in hcl2.loads(comment + "\nx = 1\n") if not k.startswith("__")] == ["x"]


def test_values_of_every_kind_are_literals() -> None:
    value = {"a\nb": [1, 2.5, True, None, float("inf"), "${x}"]}
    parsed = hcl2.loads(f"x = {hcl_value(value)}\n")
    assert [k for k in parsed if not k.startswith("__")] == ["x"]
    assert '"inf"' in hcl_value(value)  # infinity has no HCL spelling: kept as text


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not on PATH")
def test_terraform_reads_every_string_back_as_it_was(tmp_path: Path) -> None:
    """The real HCL parser agrees: `terraform console` evaluates each literal to the text."""
    literals = ", ".join(hcl_string(t) for t in HOSTILE)
    (tmp_path / "main.tf").write_text(f"locals {{\n  names = [{literals}]\n}}\n", "utf-8")
    done = subprocess.run(
        ["terraform", "console"],
        input="base64encode(jsonencode(local.names))\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        check=True,
    )
    answer = done.stdout.strip().splitlines()[-1]  # "<base64>": no escaping to undo
    assert json.loads(base64.b64decode(answer.strip('"'))) == HOSTILE


def hostile_findings() -> list[Finding]:
    def unmanaged(resource_id: str, message: str) -> Finding:
        return Finding(FindingKind.UNMANAGED, Severity.MEDIUM, resource_id, message=message)

    names = [t.replace("/", "-") for t in HOSTILE]
    return [
        *(
            unmanaged(f"{GROUP}/Microsoft.Storage/storageAccounts/{name}", f"made by {name}")
            for name in names
        ),
        unmanaged(f"{GROUP}/Microsoft.Evil\nimport {{/things/{names[0]}", names[0]),
    ]


def parsed_imports(text: str) -> list[dict[str, str]]:
    parsed = hcl2.loads(text)
    assert [k for k in parsed if not k.startswith("__")] == ["import"], parsed.keys()
    return [
        {"to": str(b["to"]).removeprefix("${").removesuffix("}"), "id": decode(b["id"])}
        for b in parsed["import"]
    ]


def test_import_blocks_for_hostile_names_are_exactly_the_intended_ones() -> None:
    plan = import_plan(hostile_findings(), taken=())
    text = render_imports(plan, "prod")
    assert parsed_imports(text) == [{"to": b.to, "id": b.id} for b in plan.blocks]
    assert len(plan.blocks) == len(HOSTILE) and len(plan.skipped) == 1
    assert all(line.startswith(("#", "import {", "  to = ", "  id = ", "}")) or not line
               for line in text.splitlines())  # fmt: skip


def test_azprov_import_of_hostile_resources_writes_only_import_blocks(tmp_path: Path) -> None:
    env = example_prod()
    hostile_ids = []
    for i, text in enumerate(HOSTILE):
        name = text.replace("/", "-")
        rid = f"{GROUP}/Microsoft.Storage/storageAccounts/{name}"
        hostile_ids.append(rid)
        env.bodies[rid.lower()] = {"id": rid, "name": name, "type": "Microsoft.Storage/"
                                   "storageAccounts", "location": "westeurope",
                                   "kind": "StorageV2", "sku": {"name": "Standard_LRS"},
                                   "properties": storage_account_properties(name),
                                   "tags": {f"t{i}": text}}  # fmt: skip
    args = ["--env", "prod", "--state", str(write_state(tmp_path, env)),
            "--live", str(snapshot(tmp_path, env))]  # fmt: skip
    result = CliRunner().invoke(app, ["import", *args, "-o", "-"])
    assert result.exit_code == 0, result.stderr
    ids = {b["id"] for b in parsed_imports(result.stdout)}
    assert {str(canonical_id(rid)) for rid in hostile_ids} <= ids


def test_reconcile_writes_a_hostile_live_value_as_one_tfvars_string(tmp_path: Path) -> None:
    (tmp_path / "terraform").mkdir()
    (tmp_path / "terraform" / "main.tf").write_text(MAIN_TF)
    tfvars = tmp_path / "terraform" / "prod.tfvars"
    tfvars.write_text(PROD_TFVARS)
    env = example_prod()
    env.find("/flexibleServers/psql-stockapp-prod")["sku"]["name"] = HOSTILE[0]
    args = ["--env", "prod", "--state", str(write_state(tmp_path, env)),
            "--live", str(snapshot(tmp_path, env))]  # fmt: skip
    result = CliRunner().invoke(
        app, ["reconcile", *args, "--apply", "adopt", "--only", SKU, "--yes"]
    )
    assert result.exit_code == 0, result.stderr
    parsed: dict[str, Any] = hcl2.loads(tfvars.read_text())
    assert sorted(k for k in parsed if not k.startswith("__")) == [
        "backend_min_replicas", "environment", "postgres_sku_name",
    ]  # fmt: skip
    assert decode(parsed["postgres_sku_name"]) == f"GP_{HOSTILE[0]}"


def test_reconcile_shows_commands_a_shell_reads_as_one_word_each(tmp_path: Path) -> None:
    env = example_prod()
    address = 'azurerm_container_app.frontend["a b; rm -rf ~"]'
    record = next(r for r in env.state_resources if r["name"] == "frontend")
    record["name"] = 'frontend["a b; rm -rf ~"]'
    args = ["--env", "prod", "--state", str(write_state(tmp_path, env)),
            "--live", str(snapshot(tmp_path, env)), "--format", "json"]  # fmt: skip
    result = CliRunner().invoke(app, ["reconcile", *args])
    assert result.exit_code == 2, result.stderr
    (missing,) = [p for p in json.loads(result.stdout)["proposals"] if p["kind"] == "missing"]
    assert shlex.split(missing["adopt"]["step"])[-1] == address
    assert f"-target={address}" in shlex.split(missing["revert"]["step"])
