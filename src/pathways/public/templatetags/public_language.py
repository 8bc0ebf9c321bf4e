"""Template helpers for public pages in English and Welsh.

`translated` looks an English label from another app up in the catalogue (see
`pathways.public.labels`); `local_name` gives an area's or taxonomy term's Welsh name on a
Welsh page; `published_summary_view` gives a published mapping summary's rows in the
page's language.
"""

from __future__ import annotations

from typing import Any

from django import template

from .. import labels, language, published

register = template.Library()


@register.filter
def translated(label: Any) -> str:
    """`{{ service.get_suite_tier_display|translated }}`: the label in the page's language."""
    return labels.translated(label)


@register.filter
def local_name(thing: Any) -> str:
    """`{{ area|local_name }}`: Caerdydd on a Welsh page, Cardiff on an English one."""
    return language.local_name(thing)


@register.simple_tag
def published_summary_view(summary: Any) -> dict[str, Any]:
    """`{% published_summary_view summary as view %}`."""
    return published.summary_view(summary)
