"""Settings refuse unsafe production configuration loudly."""

import os
import subprocess
import sys

import pytest

LONG_SECRET = "x" * 50


def _import_settings(**env):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PATHWAYS_")}
    environment.update(env)
    return subprocess.run(  # noqa: S603 - fixed interpreter and arguments
        [sys.executable, "-c", "import pathways.settings"],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"PATHWAYS_ENV": "production", "PATHWAYS_ALLOWED_HOSTS": "pathways.example"},
            "PATHWAYS_SECRET_KEY must be set",
        ),
        (
            {
                "PATHWAYS_ENV": "production",
                "PATHWAYS_SECRET_KEY": "short",
                "PATHWAYS_ALLOWED_HOSTS": "p.example",
            },
            "long random value",
        ),
        (
            {
                "PATHWAYS_ENV": "production",
                "PATHWAYS_SECRET_KEY": LONG_SECRET,
                "PATHWAYS_DEBUG": "1",
                "PATHWAYS_ALLOWED_HOSTS": "p.example",
            },
            "PATHWAYS_DEBUG must be off",
        ),
        (
            {"PATHWAYS_ENV": "production", "PATHWAYS_SECRET_KEY": LONG_SECRET},
            "PATHWAYS_ALLOWED_HOSTS must be set",
        ),
        ({"PATHWAYS_ENV": "staging"}, "PATHWAYS_ENV must be"),
    ],
)
def test_unsafe_configuration_refuses_to_start(env, message):
    result = _import_settings(**env)
    assert result.returncode != 0
    assert message in result.stderr


def test_safe_production_configuration_starts():
    result = _import_settings(
        PATHWAYS_ENV="production",
        PATHWAYS_SECRET_KEY=LONG_SECRET,
        PATHWAYS_ALLOWED_HOSTS="p.example",
    )
    assert result.returncode == 0, result.stderr


def test_demo_password_has_no_default_in_production():
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", "import pathways.settings as s; print(repr(s.DEMO_PASSWORD))"],
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("PATHWAYS_")},
            "PATHWAYS_ENV": "production",
            "PATHWAYS_SECRET_KEY": LONG_SECRET,
            "PATHWAYS_ALLOWED_HOSTS": "p.example",
        },
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "None"
