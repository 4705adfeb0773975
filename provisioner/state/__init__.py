"""Terraform state, `terraform show -json` and plan JSON -> model. No subprocess, no SDK."""

from provisioner.state.reader import StateDocument, load_state, parse_state, state_from_document

__all__ = ["StateDocument", "load_state", "parse_state", "state_from_document"]
