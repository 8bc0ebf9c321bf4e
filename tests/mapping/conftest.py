"""Fixtures for mapping tests: the published demo directory and services made through the
directory's service layer."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis.configuration import set_hypothesis_home_dir

from pathways.core.demo import load_demo

# Hypothesis caches under .hypothesis/ in the working directory, which is the work tree and
# not ignored by git; keep its files in the temporary directory instead.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "pathways-hypothesis")


@pytest.fixture
def published(db, settings):
    """The 26 West Yorkshire and 31 Cardiff and Vale services, exactly as published."""
    settings.DEMO_PASSWORD = "demo-password-for-mapping-tests"
    return load_demo(synthetic_services=0)
