"""The IV report: per assessor and unit, how many decisions were sampled and what is outstanding."""

from django.db.models import Count, Exists, OuterRef, Q

from tracker.models import (
    Action,
    Check,
    Decision,
    SampleItem,
    User,
)


def assessors(centre_id: int):
    """Return the centre's staff who have assessed any learner, by name."""
    # Staff assess only their own centre's learners: one index probe per member of staff.
    return (
        User.objects.filter(staff_membership__centre_id=centre_id)
        .filter(Exists(Decision.objects.filter(assessor=OuterRef("pk"))))
        .order_by("last_name", "first_name", "pk")
    )


def assessor_report(centre_id: int, assessor_ids: list[int]) -> list[dict]:
    """Return per assessor and unit: assessed, sampled, agreed, disagreed, actions, signed off.

    Only for the given assessors (a page of them): each query then reads their decisions
    alone, so the report costs the same at any size of centre.
    """
    rows: dict[tuple, dict] = {}

    def row(assessor_id, first, last, unit_number) -> dict:
        return rows.setdefault(
            (assessor_id, unit_number),
            {
                "assessor": f"{first} {last}",
                "unit": unit_number,
                "assessed": 0,
                "sampled": 0,
                "agreed": 0,
                "disagreed": 0,
                "open": 0,
                "closed": 0,
                "signed": 0,
            },
        )

    prefix = ("assessor_id", "assessor__first_name", "assessor__last_name")
    for values in (
        Decision.objects.filter(
            enrolment__learner__centre_id=centre_id, assessor_id__in=assessor_ids
        )
        .values(*prefix, "enrolment__unit__number")
        .annotate(n=Count("enrolment", distinct=True))
    ):
        row(*(values[k] for k in prefix), values["enrolment__unit__number"])["assessed"] = values[
            "n"
        ]
    decision_prefix = tuple(f"enrolment__decisions__{k}" for k in prefix)
    items = SampleItem.objects.filter(
        sample__group__centre_id=centre_id,
        included=True,
        enrolment__decisions__assessor_id__in=assessor_ids,
    ).values(*decision_prefix, "sample__unit__number")
    for values in items.annotate(
        n=Count("pk", distinct=True),
        signed=Count("pk", filter=Q(signed_off_at__isnull=False), distinct=True),
    ):
        entry = row(*(values[k] for k in decision_prefix), values["sample__unit__number"])
        entry["sampled"], entry["signed"] = values["n"], values["signed"]
    check_prefix = tuple(f"decision__{k}" for k in prefix)
    for values in (
        Check.objects.filter(
            item__sample__group__centre_id=centre_id, decision__assessor_id__in=assessor_ids
        )
        .values(*check_prefix, "item__sample__unit__number")
        .annotate(
            agreed=Count("pk", filter=Q(agrees=True)), disagreed=Count("pk", filter=Q(agrees=False))
        )
    ):
        entry = row(*(values[k] for k in check_prefix), values["item__sample__unit__number"])
        entry["agreed"], entry["disagreed"] = values["agreed"], values["disagreed"]
    for values in (
        Action.objects.filter(
            item__sample__group__centre_id=centre_id, assessor_id__in=assessor_ids
        )
        .values(*prefix, "item__sample__unit__number")
        .annotate(
            open=Count("pk", filter=~Q(state=Action.State.CLOSED)),
            closed=Count("pk", filter=Q(state=Action.State.CLOSED)),
        )
    ):
        entry = row(*(values[k] for k in prefix), values["item__sample__unit__number"])
        entry["open"], entry["closed"] = values["open"], values["closed"]
    return sorted(rows.values(), key=lambda r: (r["assessor"], r["unit"]))
