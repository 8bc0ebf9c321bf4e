"""`pathways` console script and `python -m pathways`: Django's management commands.

`pathways load_demo`, `pathways audit-verify`, `pathways migrate`, `pathways runserver` and
every other `manage.py` command work the same way.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pathways.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["pathways", *(argv if argv is not None else sys.argv[1:])])


if __name__ == "__main__":
    main()
