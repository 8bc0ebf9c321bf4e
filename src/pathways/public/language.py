"""Which language a public page is in, and names in that language.

Place names and taxonomy terms carry their Welsh name in the database (`name_cy`), not in
the catalogue: a Welsh page shows `name_cy` where there is one and the English name where
there is none (most English places have no Welsh name).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import get_language


def is_welsh() -> bool:
    """True while a Welsh page is being built."""
    return (get_language() or "").startswith("cy")


def local_name(thing: Any) -> str:
    """An area's or a taxonomy term's name in the language of the page."""
    if thing is None:
        return ""
    welsh = getattr(thing, "name_cy", "") if is_welsh() else ""
    return welsh or getattr(thing, "name", str(thing))
