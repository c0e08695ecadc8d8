"""Authenticity flags: the same file handed in by more than one learner."""

from dataclasses import dataclass, field

from tracker.models import Enrolment, Evidence, User


@dataclass
class SameFile:
    """Who else handed in one of this learner's files: those the viewer may see by name,
    and how many others in the same centre the viewer may not see."""

    visible: list[Evidence] = field(default_factory=list)
    hidden: int = 0


def same_files(enrolment: Enrolment, viewer: User) -> dict[int, SameFile]:
    """Return, per evidence pk of this enrolment, the same file (by SHA-256) handed in by
    other learners of the same centre. Learners the viewer may not see are only counted, and
    other centres on the instance are never looked at (their learners are none of ours)."""
    own = {e.pk: e.sha256 for e in enrolment.evidence.exclude(sha256="")}
    if not own:
        return {}
    others = list(
        Evidence.objects.filter(
            sha256__in=set(own.values()), enrolment__learner__centre_id=enrolment.learner.centre_id
        )
        .exclude(enrolment__learner=enrolment.learner)
        .select_related("enrolment__learner")
        .order_by("uploaded_at", "pk")
    )
    if not others:
        return {}
    visible = set(
        Evidence.objects.for_user(viewer)
        .filter(pk__in=[other.pk for other in others])
        .values_list("pk", flat=True)
    )
    by_hash: dict[str, SameFile] = {}
    for other in others:
        found = by_hash.setdefault(other.sha256, SameFile())
        if other.pk in visible:
            found.visible.append(other)
        else:
            found.hidden += 1
    return {pk: by_hash[digest] for pk, digest in own.items() if digest in by_hash}
