"""Evidence matched to criteria and topic items, for the pages that list both."""

from tracker.evidence.services import Claim
from tracker.models import Evidence, EvidenceLink


def item_choices(progress) -> list[tuple[str, str]]:
    """Return the unit's criteria or topics as choices 'c:<id>' / 't:<id>'."""
    return [
        (
            entry.key,
            f"{entry.code} {getattr(entry.item, 'wording', '') or entry.item.text}",
        )
        for entry in progress.items
    ]


def claims_from(progress, chosen: list[str], location: str) -> list[Claim]:
    by_key = {entry.key: entry.item for entry in progress.items}
    return [Claim(by_key[key], location) for key in chosen if key in by_key]


def links_by_item(enrolment) -> dict[str, list[EvidenceLink]]:
    """Return the enrolment's evidence links (with their evidence) per item key, oldest
    first; each link carries its deadline and lateness. One query."""
    links = (
        EvidenceLink.objects.filter(evidence__enrolment=enrolment)
        .select_related("evidence", "evidence__uploaded_by")
        .order_by("evidence__uploaded_at")
    )
    result: dict[str, list] = {}
    for link in links:
        result.setdefault(link.item_key, []).append(link)
    return result


def evidence_by_item(enrolment) -> dict[str, list[tuple[Evidence, str]]]:
    """Return the enrolment's evidence per item key, with each link's location."""
    return {
        key: [(link.evidence, link.location) for link in links]
        for key, links in links_by_item(enrolment).items()
    }


def annotate_items(progress, evidence) -> None:
    for entry in progress.items:
        entry.evidence = evidence.get(entry.key, [])


def annotate_links(progress, enrolment) -> None:
    """Set `entry.links` (EvidenceLink rows, with deadline and lateness, and their evidence)
    and `entry.evidence` ([(evidence, location)]) on each item of `progress`. One query."""
    links = links_by_item(enrolment)
    for entry in progress.items:
        entry.links = links.get(entry.key, [])
        entry.evidence = [(link.evidence, link.location) for link in entry.links]
