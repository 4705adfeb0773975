"""Errors a user can cause. The CLI catches `AzprovError` once and prints one line."""


class AzprovError(Exception):
    """A failure the user can act on; its message is printed as one line, exit code 1."""


class ConfigError(AzprovError):
    """Bad configuration or command-line input (unknown environment, bad config file)."""


class StateError(AzprovError):
    """The Terraform state could not be read or understood."""


class SnapshotError(AzprovError):
    """A live snapshot file could not be read or understood."""


class AzureAccessError(AzprovError):
    """Azure could not be reached at all: no credentials, wrong subscription, bad endpoint."""


class GitHubError(AzprovError):
    """GitHub's API refused or failed a request, or could not be reached."""
