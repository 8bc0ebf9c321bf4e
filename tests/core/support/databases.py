"""Throwaway databases for tests that run Pathways in real processes: SQLite files, or
PostgreSQL databases on the suite's own server when DATABASE_URL points at one."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[3]


class Databases:
    def __init__(self, tmp_path: Path, prefix: str):
        self.tmp = tmp_path
        self.prefix = prefix
        self.base = os.environ.get("DATABASE_URL", "")
        self.postgres = self.base.startswith(("postgres://", "postgresql://"))
        self.made: list[str] = []

    def new(self, name: str) -> str:
        if not self.postgres:
            return f"sqlite:///{self.tmp / name}.sqlite3"
        db = f"pw_{self.prefix}_{name}_{uuid.uuid4().hex[:8]}"
        self._admin(f'CREATE DATABASE "{db}"')
        self.made.append(db)
        return urlunsplit(urlsplit(self.base)._replace(path=f"/{db}"))

    def _admin(self, sql: str) -> None:
        import psycopg

        admin = urlunsplit(urlsplit(self.base)._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def drop_all(self) -> None:
        for db in self.made:
            self._admin(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


def process_env(url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="pathways.settings",
        PATHWAYS_ENV="development",
        PATHWAYS_DEBUG="0",
        PATHWAYS_LOG_LEVEL="WARNING",
        PATHWAYS_CACHE="memory",
        PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "src"), env.get("PYTHONPATH", "")]),
    )
    return env


def pathways(url: str, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run `python -m pathways …` against the database at `url`."""
    result = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "pathways", *argv],
        cwd=ROOT,
        env=process_env(url),
        capture_output=True,
        text=True,
        check=False,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"{argv} failed:\n{result.stdout}\n{result.stderr}")
    return result
