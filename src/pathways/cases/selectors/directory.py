"""Reads of the directory (organisations and services) that case work needs: the services a
case or support worker may open cases on, the organisations a manager manages, and the
organisations a case can be handed over or shared to. Each takes the user, or an object the
caller already scoped with `selectors.cases`, and applies the access policy."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404

from pathways.accounts.models import Role
from pathways.accounts.policies import user_organisation_ids
from pathways.directory.models import Organisation, Service
from pathways.directory.selectors import service_list_for_user

from ..models import PerpetratorCase, SupportCase
from ..policies import perpetrator_side_org_ids, support_side_org_ids
from .sharing import agreements_in_force

# --- Services -------------------------------------------------------------------------------


def case_services_for_user(*, user: Any) -> QuerySet[Service]:
    """Services (not deleted) of the organisations the user works perpetrator cases for, by
    name."""
    return (
        Service.objects.filter(
            organisation_id__in=perpetrator_side_org_ids(user), deleted_at__isnull=True
        )
        .select_related("organisation")
        .order_by("name", "id")
    )


def support_services_for_user(*, user: Any) -> QuerySet[Service]:
    """Services (not deleted) of the organisations the user supports victim-survivors for,
    by name."""
    return (
        Service.objects.filter(
            organisation_id__in=support_side_org_ids(user), deleted_at__isnull=True
        )
        .select_related("organisation")
        .order_by("name", "id")
    )


def support_service_choices_for_user(*, user: Any) -> list[tuple[Any, str]]:
    """(id, name) of each service the user may open a support case on, by name."""
    return list(support_services_for_user(user=user).values_list("pk", "name"))


def support_service_get_for_user(*, user: Any, service_id: Any) -> Service:
    """One service the user may open a support case on, or 404."""
    try:
        service = support_services_for_user(user=user).filter(pk=service_id).first()
    except (ValueError, TypeError, ValidationError) as exc:
        raise Http404("No such service") from exc
    if service is None:
        raise Http404("No such service")
    return service


def managed_services_with_settings(*, user: Any, organisation_id: Any) -> list[Service]:
    """The services (not deleted) the user manages in one organisation, each with its case
    settings (one query)."""
    return list(
        service_list_for_user(user=user)
        .filter(organisation_id=organisation_id)
        .prefetch_related(None)
        .select_related("organisation", "case_settings")
        .order_by("name", "pk")
    )


# --- Organisations ---------------------------------------------------------------------------


def managed_organisations_for_user(*, user: Any) -> list[Organisation]:
    """The organisations the user is a provider manager of, by name."""
    ids = user_organisation_ids(user, Role.PROVIDER_MANAGER)
    return list(Organisation.objects.filter(pk__in=ids).order_by("name", "pk"))


def support_organisation_choices_for_user(*, user: Any) -> list[tuple[Any, str]]:
    """(id, name) of each organisation the user supports victim-survivors for, by name."""
    ids = support_side_org_ids(user)
    return list(
        Organisation.objects.filter(pk__in=ids).order_by("name", "pk").values_list("pk", "name")
    )


def support_organisation_get_for_user(*, user: Any, organisation_id: Any) -> Organisation:
    """One organisation the user supports victim-survivors for (by id or its text), or 404."""
    try:
        found = (
            Organisation.objects.filter(pk__in=support_side_org_ids(user))
            .filter(pk=organisation_id)
            .first()
        )
    except (ValueError, TypeError, ValidationError) as exc:
        raise Http404("No such organisation") from exc
    if found is None:
        raise Http404("No such organisation")
    return found


def organisations_other_than_case(*, case: PerpetratorCase) -> QuerySet[Organisation]:
    """Every organisation in the directory except the one running the (already scoped) case,
    by name: where its risk can be handed over or its information shared."""
    return Organisation.objects.exclude(pk=case.service.organisation_id).order_by("name", "id")


def organisations_any() -> QuerySet[Organisation]:
    """Every organisation in the directory (public records), for naming one by id; whether
    the caller may act towards it is the service's rule."""
    return Organisation.objects.all()


def _partners(organisation_id: Any) -> QuerySet[Organisation]:
    agreements = agreements_in_force().filter(parties=organisation_id).values("pk")
    return (
        Organisation.objects.filter(sharing_agreements__in=agreements)
        .exclude(pk=organisation_id)
        .distinct()
        .order_by("name", "id")
    )


def sharing_partners_for_case(*, case: PerpetratorCase) -> QuerySet[Organisation]:
    """Organisations with a sharing agreement in force with the (already scoped) case's
    organisation, by name."""
    return _partners(case.service.organisation_id)


def sharing_partner_choices_for_support_case(*, support_case: SupportCase) -> list[tuple[Any, str]]:
    """(id, name) of each organisation with an agreement in force to which the (already
    scoped) support case's organisation is a party, by name. Whether an agreement covers a
    category is checked when sharing."""
    return list(_partners(support_case.organisation_id).values_list("pk", "name"))


def sharing_partner_get_for_support_case(
    *, support_case: SupportCase, organisation_id: Any
) -> Organisation:
    """One sharing partner of the support case's organisation, or 404."""
    try:
        found = _partners(support_case.organisation_id).filter(pk=organisation_id).first()
    except (ValueError, TypeError, ValidationError) as exc:
        raise Http404("No such organisation") from exc
    if found is None:
        raise Http404("No such organisation")
    return found
