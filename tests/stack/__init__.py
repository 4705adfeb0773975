"""Checks of the governed stack: terraform/, dockerfiles/, .github/workflows/, scripts/."""
