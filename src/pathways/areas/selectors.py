"""Reads of the area hierarchy. Areas are public reference data: no access policy applies."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import QuerySet

from .models import Area, AreaKind


def _parent_map() -> dict[int, set[int]]:
    parents: dict[int, set[int]] = defaultdict(set)
    for child_id, parent_id in Area.parents.through.objects.values_list(
        "from_area_id", "to_area_id"
    ):
        parents[child_id].add(parent_id)
    return parents


def area_ancestor_ids(*, area_id: int) -> set[int]:
    """The area itself and every area above it (a district, its county, force area, country)."""
    parents = _parent_map()
    seen = {area_id}
    stack = [area_id]
    while stack:
        for parent in parents.get(stack.pop(), ()):
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return seen


def area_descendant_ids(*, area_id: int) -> set[int]:
    """The area itself and every area below it."""
    children: dict[int, set[int]] = defaultdict(set)
    for child, parents in _parent_map().items():
        for parent in parents:
            children[parent].add(child)
    seen = {area_id}
    stack = [area_id]
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return seen


def area_districts(*, area: Area) -> QuerySet[Area]:
    """The local authorities inside an area (an area that is a district returns itself)."""
    return Area.objects.filter(
        id__in=area_descendant_ids(area_id=area.id), kind=AreaKind.LOCAL_AUTHORITY
    ).order_by("name")


def area_list_districts() -> QuerySet[Area]:
    """Every local authority, by name: the choices for 'where are you?'."""
    return Area.objects.filter(kind=AreaKind.LOCAL_AUTHORITY).order_by("name")


def area_get_by_slug(*, slug: str) -> Area | None:
    return Area.objects.filter(slug=slug).first()
