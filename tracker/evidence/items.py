"""Evidence matched to criteria and topic items, for the pages that list both."""

from dataclasses import dataclass, field

from django.utils.text import Truncator

from tracker.evidence.services import Claim
from tracker.models import Evidence, EvidenceLink, Status

# How much of a topic's text its upload checkbox shows: two lines on a phone.
TOPIC_TEXT_CHARS = 60


def item_choices(progress) -> list[tuple[str, str]]:
    """Return the unit's criteria or topics as choices 'c:<id>' / 't:<id>': a criterion with
    its wording, a topic with the start of its text (the whole text is on the unit's page),
    so a phone shows Unit 6's 63 topics as short lines."""
    return [(entry.key, f"{entry.code} {_choice_words(entry.item)}") for entry in progress.items]


def _choice_words(item) -> str:
    if getattr(item, "wording", ""):
        return item.wording
    return Truncator(item.text).chars(TOPIC_TEXT_CHARS)


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


@dataclass
class OutcomeGroup:
    """One learning outcome of an examined unit with its topics, for the learner's page."""

    number: int
    title: str
    entries: list = field(default_factory=list)

    @property
    def done(self) -> int:
        """Topics achieved (as their status badges say)."""
        return sum(entry.status == Status.ACHIEVED for entry in self.entries)

    @property
    def waiting(self) -> int:
        """Topics handed in and waiting for the teacher's marking."""
        return sum(entry.status == Status.SUBMITTED for entry in self.entries)


def topics_by_outcome(progress) -> list[OutcomeGroup]:
    """Return an examined unit's topics grouped by learning outcome, in the unit's order
    (progress_for loads topics with their outcome, so this makes no query); [] for a
    centre-assessed unit, whose criteria are listed as they are."""
    if not progress.unit.is_examined:
        return []
    groups: dict[int, OutcomeGroup] = {}
    for entry in progress.items:
        outcome = entry.item.learning_outcome
        group = groups.setdefault(outcome.pk, OutcomeGroup(outcome.number, outcome.title))
        group.entries.append(entry)
    return list(groups.values())


def annotate_links(progress, enrolment) -> None:
    """Set `entry.links` (EvidenceLink rows, with deadline and lateness, and their evidence)
    and `entry.evidence` ([(evidence, location)]) on each item of `progress`. One query."""
    links = links_by_item(enrolment)
    for entry in progress.items:
        entry.links = links.get(entry.key, [])
        entry.evidence = [(link.evidence, link.location) for link in entry.links]
