"""Pytest fixtures of the model-layer tests (defined in model_testlib.py)."""

from model.model_testlib import base, build  # noqa: F401
