"""Controlled vocabularies the directory publishes as ORUK taxonomies.

Codes are stable identifiers used in imports and the API; names are shown to people.
"""

from __future__ import annotations

from django.db import transaction

from .models import Taxonomy, TaxonomyTerm

# slug -> (name, description, [(code, name, Welsh name)])
TAXONOMIES: dict[str, tuple[str, str, list[tuple[str, str, str]]]] = {
    "abuse-types": (
        "Abuse types",
        "The kinds of abuse a service works with.",
        [
            ("DA", "Domestic abuse", "Cam-drin domestig"),
            ("SV", "Sexual violence", "Trais rhywiol"),
            ("CSE", "Child sexual exploitation", "Camfanteisio'n rhywiol ar blant"),
            ("stalking", "Stalking", "Stelcian"),
            ("HBA", "Honour-based abuse", "Cam-drin ar sail anrhydedd"),
            (
                "CAPVA",
                "Child or adolescent to parent violence and abuse",
                "Trais a cham-drin gan blentyn neu berson ifanc tuag at riant",
            ),
        ],
    ),
    "referral-routes": (
        "Referral routes",
        "Who can refer a person to the service.",
        [
            ("self", "Self-referral", "Hunangyfeirio"),
            ("police", "Police", "Heddlu"),
            ("probation", "Probation", "Prawf"),
            ("childrens-social-care", "Children's social care", "Gofal cymdeithasol plant"),
            ("family-court", "Family court or Cafcass", "Llys teulu neu Cafcass"),
            ("health", "Health (GP, mental health)", "Iechyd"),
            ("housing", "Housing", "Tai"),
            ("marac", "MARAC or panel", "MARAC neu banel"),
            ("criminal-court", "Criminal court", "Llys troseddol"),
        ],
    ),
    # Pathways' own codes. A service lists the circumstances it cannot work with; a referral
    # records those that apply to the person (Referral.circumstances); matching excludes
    # the service when the two meet.
    "exclusion-criteria": (
        "Exclusion criteria",
        "Circumstances in which the service cannot take a person on.",
        [
            (
                "untreated-substance-dependency",
                "Untreated drug or alcohol dependency",
                "Dibyniaeth ar gyffuriau neu alcohol heb ei thrin",
            ),
            (
                "acute-mental-health-crisis",
                "Acute mental health crisis",
                "Argyfwng iechyd meddwl acíwt",
            ),
            (
                "current-da-proceedings",
                "Current criminal proceedings for domestic abuse",
                "Achos troseddol cyfredol am gam-drin domestig",
            ),
            (
                "sexual-offence-conviction",
                "Conviction for a sexual offence",
                "Euogfarn am drosedd rywiol",
            ),
            (
                "denies-all-abuse",
                "Denies all abusive behaviour",
                "Yn gwadu pob ymddygiad camdriniol",
            ),
        ],
    ),
    "delivery-formats": (
        "Delivery formats",
        "How the service is delivered.",
        [
            ("group", "Group work", "Gwaith grŵp"),
            ("one-to-one", "One-to-one", "Un i un"),
            ("phone", "Phone", "Ffôn"),
            ("online", "Online", "Ar-lein"),
        ],
    ),
}


@transaction.atomic
def taxonomies_load_reference() -> int:
    """Create or refresh the reference taxonomies; safe to run again. Returns term count."""
    count = 0
    for slug, (name, description, terms) in TAXONOMIES.items():
        taxonomy, _ = Taxonomy.objects.update_or_create(
            slug=slug, defaults={"name": name, "description": description}
        )
        for order, (code, term_name, name_cy) in enumerate(terms):
            TaxonomyTerm.objects.update_or_create(
                taxonomy=taxonomy,
                code=code,
                defaults={"name": term_name, "name_cy": name_cy, "sort_order": order},
            )
            count += 1
    return count
