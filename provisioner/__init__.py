"""azprov: drive Terraform per environment and audit live Azure against it."""

__version__ = "0.1.0"
