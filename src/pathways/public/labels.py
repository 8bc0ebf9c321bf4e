"""English labels from other apps that the public pages show, listed for the Welsh catalogue.

The directory's, evidence library's and standards' choice labels, and the mapping engine's
column names, are plain English strings on purpose: they also go into text that is stored
or exported (audit events, service versions, mapping snapshots and published summaries,
workbooks) and imports match on them. Marking them `gettext_lazy` at their source would make
all of that follow the language of whoever is using the page. So the public pages translate
them when they show them, with the `translated` filter (`public_language` template tags),
and this module names each of them once so that `makemessages` puts them in the catalogue.

`tests/public/test_welsh_public_pages.py` fails when a source has a label that has no Welsh
translation, so a label added or reworded at its source cannot reach a Welsh page in English.
"""

from __future__ import annotations

from django.utils.translation import gettext, gettext_noop

LABELS = (
    # directory.models.SuiteTier
    gettext_noop("Preventative"),
    gettext_noop("Early intervention"),
    gettext_noop("Standard or low risk"),
    gettext_noop("Medium risk"),
    gettext_noop("High risk or high harm"),
    gettext_noop("Sexual violence"),
    gettext_noop("Criminal justice"),
    gettext_noop("Family and victim-survivor support"),
    gettext_noop("Not stated"),
    # directory.models.VictimSupport
    gettext_noop("Provided by the service"),
    gettext_noop("Provided by a partner organisation"),
    gettext_noop("None"),
    gettext_noop("Unknown"),
    # directory.models.CapacityStatus
    gettext_noop("Open to referrals"),
    gettext_noop("Limited places"),
    gettext_noop("Closed to referrals"),
    # directory.models.ClaimDimension
    gettext_noop("Works with high-risk perpetrators"),
    gettext_noop("Works with medium-risk perpetrators"),
    gettext_noop("Works with standard or low-risk perpetrators"),
    gettext_noop("Works with adults"),
    gettext_noop("Specific provision for children and young people"),
    gettext_noop("Specific provision for young adults (16-24)"),
    gettext_noop("Specific provision for ethnic minority communities"),
    gettext_noop("Specific provision for LGBTQIA+ people"),
    gettext_noop("Specific provision for women using force"),
    gettext_noop("Specific provision for disabled and neurodivergent people"),
    gettext_noop("Provision in languages other than English"),
    gettext_noop("Accepts self-referrals"),
    # core.models.TriState (a claim's answer)
    gettext_noop("Yes"),
    gettext_noop("No"),
    # directory.models.EvidenceLevel and mapping.engine.CERTAINTY_LABELS
    gettext_noop("Self-reported"),
    gettext_noop("Evidenced"),
    gettext_noop("Commissioner-verified"),
    # directory.models.ProvenanceSource
    gettext_noop("Published mapping"),
    gettext_noop("Questionnaire"),
    gettext_noop("Desk review"),
    gettext_noop("Provider-confirmed"),
    gettext_noop("Synthetic demonstration data"),
    # directory.models.InterventionType (an approach's Home Office type)
    gettext_noop("Help-seeking"),
    gettext_noop("Early response"),
    gettext_noop("Behaviour change"),
    gettext_noop("Intensive case management"),
    gettext_noop("Other or not a perpetrator intervention"),
    # evidence.models.AbuseFocus
    gettext_noop("Domestic abuse"),
    gettext_noop("Domestic abuse and sexual violence"),
    # evidence.models.PreventionLevel
    gettext_noop("Primary prevention"),
    gettext_noop("Secondary prevention"),
    gettext_noop("Tertiary prevention"),
    gettext_noop("All levels"),
    # evidence.selectors.AGREEMENT_LABELS
    gettext_noop("Not rated"),
    gettext_noop("One source"),
    gettext_noop("Sources agree"),
    gettext_noop("Sources disagree"),
    # evidence.scales.BAND_LABELS
    gettext_noop("higher: good or high"),
    gettext_noop("middle: some, mixed, moderate or medium"),
    gettext_noop("lower: poor, negative or low"),
    # evidence.scales: each scale's name and meaning
    gettext_noop("Good / some or mixed / poor or negative"),
    gettext_noop(
        "One rating of how far the evidence shows the approach works: good evidence, some or "
        "mixed evidence, or poor or negative evidence. This is the scale the West Yorkshire "
        "evaluation (RedQuadrant, 2023) uses to report what each body it cites found."
    ),
    gettext_noop("Quality of evidence and impact, each high / moderate / low"),
    gettext_noop(
        "Two ratings: how good the evidence is (quality) and how large the effect it shows "
        "is (impact), each high, moderate or low. A few ratings are printed as 'medium', "
        "'low/moderate' or 'moderate/low' and are kept that way. This is the scale of the "
        "Crest Advisory rapid evidence review for Leicester, Leicestershire and Rutland (2023)."
    ),
    # standards.models.Rating (the public count of an assessment's ratings)
    gettext_noop("Green"),
    gettext_noop("Amber"),
    gettext_noop("Red"),
    gettext_noop("Not applicable"),
    # mapping.engine.COLUMNS (published summaries)
    gettext_noop("Children and young people"),
    gettext_noop("Young adults (16-24)"),
    gettext_noop("Ethnic minority communities"),
    gettext_noop("LGBTQIA+"),
    gettext_noop("Women using force"),
    gettext_noop("Disabled and neurodivergent people"),
    gettext_noop("Language-specific"),
    # evidence.forms.ApproachFilterForm, the evidence library's filters. Its labels, choices
    # and messages are not marked for translation yet; listed here so that their Welsh is
    # ready when they are (see KNOWN_GAPS in tests/public/test_welsh_public_pages.py).
    gettext_noop("Search approaches"),
    gettext_noop("Search must be 200 characters or fewer"),
    gettext_noop("Any"),
    gettext_noop("Select a prevention level from the list"),
    gettext_noop("Rated by"),
    gettext_noop("Select a source from the list"),
    gettext_noop("Agreement between sources"),
    gettext_noop("Select an agreement option from the list"),
    gettext_noop("Sort by"),
    gettext_noop("Select a sort order from the list"),
    gettext_noop("Name"),
    gettext_noop("Most sources first"),
    gettext_noop("Disagreement first"),
)


def translated(label: object) -> str:
    """The label in the active language, or as it is when the catalogue does not have it."""
    text = str(label)
    return gettext(text) if text else text
