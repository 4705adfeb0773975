"""The scale benchmark: azprov verify against a per-resource refresh, on a local HTTPS fake of ARM.

Run it with `.venv/bin/python -m bench.run` (see `bench/run.py --help`).
"""
