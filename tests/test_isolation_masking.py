"""What an isolation finding shows of a value: where it points, never the secret in it."""

from __future__ import annotations

import pytest

from provisioner.analysers.isolation.masking import is_secret, masked, safe_key, secret_name, shown
from provisioner.model import REDACTED

SECRET = "example-password-not-real"
HOST = "psql-prod.postgres.database.azure.com"


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("administrator_password", True),
        ("primary_shared_key", True),
        ("SharedKey", True),
        ("gemini_api_key", True),
        ("connection_string", True),
        ("secret", True),
        ("server", False),
        ("login_server", False),
    ],
)
def test_secret_names(name: str, secret: bool) -> None:
    assert secret_name(name) is secret


@pytest.mark.parametrize(
    ("key", "safe"),
    [("Server", True), ("User Id", True), ("Initial Catalog", True), ("sslmode", True),
     ("Password", False), ("sig", False), ("AccountKey", False)],
)  # fmt: skip
def test_safe_keys_say_where_not_how_to_get_in(key: str, safe: bool) -> None:
    assert safe_key(key) is safe


def test_a_value_is_secret_by_its_sensitive_path_or_its_name() -> None:
    assert is_secret(("secret", "0", "value"), {"secret"})
    assert is_secret(("template", "0", "env", "3", "value"), {"template.0.env.3.value"})
    assert is_secret(("app_settings", "DB_PASSWORD"), set())
    assert not is_secret(("template", "0", "container", "0", "image"), {"secret"})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (f"postgresql://admin:{SECRET}@{HOST}:5432/app?sslmode=require&password={SECRET}",
         f"postgresql://admin:{REDACTED}@{HOST}:5432/app?sslmode=require&password={REDACTED}"),
        (f"https://{SECRET}@{HOST}/", f"https://{REDACTED}@{HOST}/"),
        (f"https://{HOST}/hooks/{SECRET}", f"https://{HOST}/{REDACTED}"),
        ("https://kv-prod.vault.azure.net/secrets/db", "https://kv-prod.vault.azure.net/secrets/db"),
        (f"Server={HOST};Password={SECRET};Database=app",
         f"Server={HOST};Password={REDACTED};Database=app"),
        (f"host={HOST} password={SECRET}", f"host={HOST} password={REDACTED}"),
        (f" {HOST} ", HOST),  # a bare address is not a secret
        ("20.23.45.100", "20.23.45.100"),
        (f"{SECRET} {HOST}", REDACTED),  # nothing says where the secret ends
        ("https://[::1/x", REDACTED),  # not a URL that can be taken apart
    ],
)  # fmt: skip
def test_masked_keeps_where_a_secret_points(value: str, expected: str) -> None:
    assert masked(value) == expected


def test_shown_masks_secret_paths_and_values_that_can_carry_credentials() -> None:
    assert shown(f"{SECRET}@{HOST}", ("template", "image"), set()) == REDACTED
    assert shown(f"{HOST}/repo:tag", ("template", "image"), set()) == f"{HOST}/repo:tag"
    assert shown(f"{HOST}/repo:tag", ("secret", "0", "value"), {"secret"}) == REDACTED
