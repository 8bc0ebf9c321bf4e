"""Loading the evidence library (reference data) and the demo services' approaches.

`evidence_load_reference` runs from `core.demo.load_reference` in every mode, including
production: the library is published research. `evidence_link_demo_services` runs from
`core.demo.load_demo` after the published services exist. Both are idempotent.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from . import services

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "evidence_library.json"


@cache
def library_payload() -> dict[str, Any]:
    """The library fixture, parsed once per process."""
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def evidence_load_reference() -> services.LibraryLoad:
    """Create or refresh approaches, sources and ratings from the fixture."""
    return services.library_load(payload=library_payload())


def evidence_link_demo_services() -> int:
    """Link the published demo services whose names make their approach unambiguous."""
    return services.service_links_load(links=library_payload()["service_links"])
