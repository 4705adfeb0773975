"""What an isolation finding shows of a value: where it points, never the secret in it."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from provisioner.analysers.isolation.masking import is_secret, masked, safe_key, secret_name, shown
from provisioner.model import REDACTED
from provisioner.model.redaction import describes_secret

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


# The analyser's own list before it asked the shared vocabulary (provisioner.model.redaction).
OLD_SECRET_NAME = re.compile(
    r"password|secret|token|private_key|access_key|shared_key|sharedkey|api_key|connection_string",
    re.I,
)
OLD_WORDS = ("password", "secret", "token", "private_key", "access_key", "shared_key",
             "sharedkey", "api_key", "connection_string")  # fmt: skip


@pytest.mark.parametrize(
    "name",
    ["adminpassword", "sharedkey", "sastoken", "api_keys", "private_key_pem", "passwords",
     "tokens", "storage_access_key", "primary_shared_key", "client_secret", "refresh_token",
     "x_api_key_header", "DB_PASSWORD", "AccessToken", "secret_value", "tokenizer_path"],
)  # fmt: skip
def test_names_the_old_list_caught_are_still_secret(name: str) -> None:
    assert OLD_SECRET_NAME.search(name)
    assert secret_name(name)


@pytest.mark.parametrize(
    "name",
    ["secret_name", "password_secret_name", "key_vault_secret_id", "secretRef",
     "password_auth_enabled", "token_url", "api_key_id"],
)  # fmt: skip
def test_names_that_only_say_which_secret_stay_shown(name: str) -> None:
    assert OLD_SECRET_NAME.search(name)  # the old list hid these
    assert not secret_name(name)
    value = "database-url"
    assert shown(value, ("registry", "0", name), set()) == value


def _any_case(word: str) -> st.SearchStrategy[str]:
    return st.tuples(*(st.sampled_from([c.lower(), c.upper()]) for c in word)).map("".join)


@given(st.text(max_size=12), st.sampled_from(OLD_WORDS).flatmap(_any_case), st.text(max_size=12))
def test_every_name_the_old_list_caught_is_secret_or_only_names_one(
    prefix: str, word: str, suffix: str
) -> None:
    name = prefix + word + suffix
    assert OLD_SECRET_NAME.search(name)
    assert secret_name(name) or describes_secret(name), name


@pytest.mark.parametrize("name", ["monkey_count", "bypass", "kansas_region", "server"])
def test_short_secret_words_count_only_as_words_of_their_own(name: str) -> None:
    assert not secret_name(name)


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
