"""A large, realistic centre for benchmarks, written with bulk_create in big batches.

Learners come in groups of 20 taking Unit 6 and Unit 30. Each group has the unit's suggested
assignments; each learner is heading for a grade and has decisions with their history,
evidence metadata (no file content: nothing seeded here is meant to be downloaded),
predictions and Unit 6 mock and exam marks; most groups have an internal verification
sample at some stage of checking. Groups are written a chunk at a time, so memory stays
bounded whatever the size.
"""

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import models
from django.utils import timezone

from criteria.models import BoundarySet, Criterion, ExamSeries, TopicItem, Unit
from tracker.models import (
    AcademicYear,
    Action,
    Assignment,
    Centre,
    Check,
    Decision,
    DecisionChange,
    Enrolment,
    Evidence,
    EvidenceLink,
    ExamMark,
    Extension,
    LeadAssessor,
    Learner,
    Prediction,
    Record,
    Sample,
    SampleItem,
    StaffMembership,
    Status,
    TeachingGroup,
    User,
)

GROUP_SIZE = 20
GROUPS_PER_CHUNK = 50  # 1,000 learners held in memory at a time
BATCH = 2000
REACH = "UPMD"  # the Unit 30 grade a learner is heading for
REACH_WEIGHTS = [30, 30, 25, 15]
MOCK_1, MOCK_2, EXAM = "Mock 1 (scale, illustrative)", "Mock 2 (scale)", "January (scale)"
NO_PASSWORD = UNUSABLE_PASSWORD_PREFIX + "seeded"
ACHIEVED, SUBMITTED, NOT_YET = Status.ACHIEVED, Status.SUBMITTED, Status.NOT_YET


@dataclass
class Planned:
    """A decision to write, with the steps of its history and whose evidence it needs."""

    decision: Decision
    steps: list[tuple[str, str, str]]  # (old status, new status, note)
    resubmitted: bool = False
    evidence: list[Evidence] = field(default_factory=list)


class ScaleCentre:
    """Build one centre; `rows` counts what was written, per table."""

    def __init__(self, number: str, units: dict[int, Unit], rng: random.Random) -> None:
        self.number = number
        self.unit6, self.unit30 = units[6], units[30]
        self.rng = rng
        self.rows: Counter = Counter()
        self.now = timezone.now()
        self.today = timezone.localdate()
        self.criteria = list(Criterion.objects.filter(unit=self.unit30).order_by("order"))
        self.topics = list(
            TopicItem.objects.filter(learning_outcome__unit=self.unit6).order_by(
                "learning_outcome__number", "order"
            )
        )
        self.plan = list(self.unit30.suggested_assignments.prefetch_related("criteria"))
        self.max_mark = self.unit6.exam_max_mark or 60
        self.last_hash = "0" * 64
        self.actions = 0

    def make(self, model: type[models.Model], objects) -> list:
        """Insert the objects in big batches and count them."""
        made = model.objects.bulk_create(objects, batch_size=BATCH)
        self.rows[model.__name__] += len(made)
        return made

    def build(self, count: int) -> Counter:
        self.centre = self.make(
            Centre, [Centre(name=f"Scale centre {self.number}", ocr_number=self.number)]
        )[0]
        self.year = self.make(
            AcademicYear,
            [
                AcademicYear(
                    centre=self.centre,
                    name="2026/27",
                    is_current=True,
                    starts_on=date(2026, 9, 1),
                    ends_on=date(2027, 7, 31),
                )
            ],
        )[0]
        self.staff(count)
        self.boundaries()
        groups = self.make(
            TeachingGroup,
            [
                TeachingGroup(centre=self.centre, academic_year=self.year, name=f"G{i:04d}")
                for i in range((count + GROUP_SIZE - 1) // GROUP_SIZE)
            ],
        )
        self.teacher_of = {
            g.pk: self.teachers[i % len(self.teachers)] for i, g in enumerate(groups)
        }
        self.verifier_of = {
            g.pk: self.verifiers[i % len(self.verifiers)] for i, g in enumerate(groups)
        }
        units, teachers = TeachingGroup.units.through, TeachingGroup.teachers.through
        verifiers = TeachingGroup.internal_verifiers.through
        self.make(
            units,
            [units(teachinggroup=g, unit=u) for g in groups for u in (self.unit6, self.unit30)],
        )
        self.make(teachers, [teachers(teachinggroup=g, user=self.teacher_of[g.pk]) for g in groups])
        self.make(
            verifiers, [verifiers(teachinggroup=g, user=self.verifier_of[g.pk]) for g in groups]
        )
        for start in range(0, len(groups), GROUPS_PER_CHUNK):
            first = start * GROUP_SIZE
            chunk = groups[start : start + GROUPS_PER_CHUNK]
            self.chunk(chunk, range(first, min(count, first + len(chunk) * GROUP_SIZE)))
        return self.rows

    def staff(self, count: int) -> None:
        """One teacher per three groups, an internal verifier per twenty, and an admin."""
        people = [
            User(
                username=f"{self.number}-t{i}",
                first_name="Teacher",
                last_name=f"T{i:03d}",
                is_teacher=True,
                is_new_assessor=i % 25 == 1,
                password=NO_PASSWORD,
            )
            for i in range(max(1, count // 60))
        ]
        people += [
            User(
                username=f"{self.number}-iv{i}",
                first_name="Verifier",
                last_name=f"V{i:03d}",
                is_internal_verifier=True,
                password=NO_PASSWORD,
            )
            for i in range(max(1, count // 400))
        ]
        people.append(
            User(
                username=f"{self.number}-admin",
                first_name="Centre",
                last_name="Admin",
                is_centre_admin=True,
                password=NO_PASSWORD,
            )
        )
        people = self.make(User, people)
        self.make(StaffMembership, [StaffMembership(user=u, centre=self.centre) for u in people])
        self.teachers = [u for u in people if u.is_teacher]
        self.verifiers = [u for u in people if u.is_internal_verifier]
        self.make(
            LeadAssessor,
            [
                LeadAssessor(centre=self.centre, unit=unit, user=self.teachers[0])
                for unit in (self.unit6, self.unit30)
            ],
        )

    def boundaries(self) -> None:
        """The centre's two mocks and the shared January series; illustrative boundaries for
        the first mock and the exam, none for the second mock."""
        self.series = {}
        for name in (MOCK_1, MOCK_2):
            self.series[name] = ExamSeries.objects.create(
                unit=self.unit6, name=name, kind=ExamSeries.Kind.MOCK, centre=self.centre
            )
        self.series[EXAM], _ = ExamSeries.objects.get_or_create(
            unit=self.unit6, name=EXAM, centre=None, defaults={"kind": ExamSeries.Kind.REAL}
        )
        for name in (MOCK_1, EXAM):
            BoundarySet.objects.get_or_create(
                series=self.series[name],
                defaults={
                    "max_mark": self.max_mark,
                    "distinction": round(self.max_mark * 0.8),
                    "merit": round(self.max_mark * 0.63),
                    "pass_mark": round(self.max_mark * 0.47),
                    "near_pass": round(self.max_mark * 0.37),
                    "illustrative": True,
                    "source": "Illustrative boundaries for benchmarks (seed_scale): not OCR's.",
                },
            )

    def chunk(self, groups: list[TeachingGroup], numbers: range) -> None:
        """Write the learners of these groups and everything about them."""
        accounts = self.make(
            User,
            [
                User(
                    username=f"{self.number}-l{i:05d}",
                    first_name="Learner",
                    last_name=f"{i:05d}",
                    password=NO_PASSWORD,
                )
                for i in numbers
            ],
        )
        learners = self.make(
            Learner,
            [
                Learner(
                    centre=self.centre,
                    candidate_number=f"{i % 10000:04d}",
                    first_name="Learner",
                    last_name=f"{i:05d}",
                    group=groups[(i - numbers.start) // GROUP_SIZE],
                    user=account,
                )
                for i, account in zip(numbers, accounts, strict=True)
            ],
        )
        enrolments = self.make(
            Enrolment,
            [
                Enrolment(
                    learner=learner,
                    unit=unit,
                    academic_year=self.year,
                    # One enrolment in twelve still waits for its target.
                    target_grade="" if self.rng.random() < 1 / 12 else self.rng.choice("PPMMD"),
                )
                for learner in learners
                for unit in (self.unit6, self.unit30)
            ],
        )
        reach = {e.pk: self.rng.choices(REACH, REACH_WEIGHTS)[0] for e in enrolments}
        assignments = self.assignments(groups)
        planned = []
        for enrolment in enrolments:
            if enrolment.unit_id == self.unit30.pk:
                planned += self.plan_unit30(enrolment, reach[enrolment.pk])
            else:
                planned += self.plan_unit6(enrolment)
        self.make(Decision, [p.decision for p in planned])
        self.history(planned)
        self.evidence(planned)
        self.predictions(enrolments, reach)
        self.marks([e for e in enrolments if e.unit_id == self.unit6.pk], reach)
        self.extensions(assignments, learners)
        self.samples(groups, enrolments, planned)

    def teacher(self, enrolment: Enrolment) -> User:
        return self.teacher_of[enrolment.learner.group_id]

    def decision(self, enrolment: Enrolment, item, status: str, steps, **extra) -> Planned:
        submitted_at = self.now - timedelta(minutes=self.rng.randrange(60, 120 * 24 * 60))
        assessed = status in (ACHIEVED, NOT_YET)
        attempts = sum(1 for _, new, _ in steps if new in (ACHIEVED, NOT_YET))
        kind = "criterion" if isinstance(item, Criterion) else "topic"
        return Planned(
            Decision(
                enrolment=enrolment,
                status=status,
                assessor=self.teacher(enrolment) if attempts else None,
                decided_at=self.now - (self.now - submitted_at) / 3 if assessed else None,
                submitted_at=submitted_at if steps[0][1] == SUBMITTED else None,
                feedback=f"{item.code}: {'met' if status == ACHIEVED else 'say more'}"
                if assessed
                else "",
                attempts=attempts,
                revision=len(steps),
                **{kind: item},
            ),
            steps,
            **extra,
        )

    def plan_unit30(self, enrolment: Enrolment, reach: str) -> list[Planned]:
        """Criteria up to the learner's reach achieved (a few after a resubmission); the
        rest spread across not started, submitted and not yet achieved."""
        planned = []
        for criterion in self.criteria:
            within = REACH.index(criterion.band) <= REACH.index(reach)
            if not within and reach == "U" and criterion.band == "P":
                within = self.rng.random() < 0.6
            roll = self.rng.random()
            if within and roll < 0.1:
                steps = [
                    (Status.NOT_STARTED, SUBMITTED, ""),
                    (SUBMITTED, NOT_YET, ""),
                    (NOT_YET, SUBMITTED, "resubmission"),
                    (SUBMITTED, ACHIEVED, ""),
                ]
                planned.append(
                    self.decision(enrolment, criterion, ACHIEVED, steps, resubmitted=True)
                )
            elif within:
                steps = [(Status.NOT_STARTED, SUBMITTED, ""), (SUBMITTED, ACHIEVED, "")]
                planned.append(self.decision(enrolment, criterion, ACHIEVED, steps))
            elif roll < 0.5:
                continue  # not started: no decision row
            elif roll < 0.7:
                steps = [(Status.NOT_STARTED, SUBMITTED, "")]
                planned.append(self.decision(enrolment, criterion, SUBMITTED, steps))
            elif roll < 0.8:
                steps = [
                    (Status.NOT_STARTED, SUBMITTED, ""),
                    (SUBMITTED, NOT_YET, ""),
                    (NOT_YET, SUBMITTED, "resubmission"),
                ]
                planned.append(
                    self.decision(enrolment, criterion, SUBMITTED, steps, resubmitted=True)
                )
            else:
                steps = [(Status.NOT_STARTED, SUBMITTED, ""), (SUBMITTED, NOT_YET, "")]
                planned.append(self.decision(enrolment, criterion, NOT_YET, steps))
        return planned

    def plan_unit6(self, enrolment: Enrolment) -> list[Planned]:
        """The topics taught so far: most secure, some not yet, a few with revision notes."""
        planned = []
        for topic in self.topics[: self.rng.randint(5, 45)]:
            roll = self.rng.random()
            status = ACHIEVED if roll < 0.8 else NOT_YET if roll < 0.9 else SUBMITTED
            if status == SUBMITTED:
                steps = [(Status.NOT_STARTED, SUBMITTED, "")]
            else:
                steps = [(Status.NOT_STARTED, status, "class questioning")]
            planned.append(self.decision(enrolment, topic, status, steps))
        return planned

    def history(self, planned: list[Planned]) -> None:
        """Every step of every decision: learners submit, teachers assess."""
        changes = []
        for entry in planned:
            decision = entry.decision
            learner_user = decision.enrolment.learner.user
            attempt = 0
            for old, new, note in entry.steps:
                assessing = new in (ACHIEVED, NOT_YET)
                attempt += assessing
                changes.append(
                    DecisionChange(
                        decision=decision,
                        changed_by=self.teacher(decision.enrolment) if assessing else learner_user,
                        old_status=old,
                        new_status=new,
                        feedback=decision.feedback if assessing else "",
                        attempt=attempt,
                        note=note,
                    )
                )
        self.make(DecisionChange, changes)

    def evidence_row(self, enrolment: Enrolment, title: str) -> Evidence:
        """Return one piece of evidence's metadata: most files, some observation records."""
        if self.rng.random() < 0.1:
            return Evidence(
                enrolment=enrolment,
                kind=Evidence.Kind.OBSERVATION,
                statement=f"Observed in placement: {title}.",
                uploaded_by=self.teacher(enrolment),
            )
        # One file in 150 is the same as another learner's: the authenticity flag.
        if self.rng.random() >= 1 / 150:
            self.last_hash = f"{self.rng.getrandbits(256):064x}"
        token = f"{self.rng.getrandbits(128):032x}"
        return Evidence(
            enrolment=enrolment,
            kind=Evidence.Kind.UPLOAD,
            file=f"evidence/seeded/{token}.pdf",
            original_name=f"{title}.pdf",
            content_type="application/pdf",
            size=self.rng.randrange(40_000, 4_000_000),
            sha256=self.last_hash,
            declared_at=self.now,
            uploaded_by=enrolment.learner.user,
        )

    def evidence(self, planned: list[Planned]) -> None:
        """Evidence for every claimed item: Unit 30 work covering one to three criteria, a
        second version for each resubmission, and Unit 6 revision notes for claimed topics."""
        first, second = [], []
        by_enrolment: dict[int, list[Planned]] = {}
        for entry in planned:
            by_enrolment.setdefault(entry.decision.enrolment_id, []).append(entry)
        for entries in by_enrolment.values():
            enrolment = entries[0].decision.enrolment
            if enrolment.unit_id == self.unit6.pk:
                claimed = [p for p in entries if p.decision.status == SUBMITTED]
                if claimed:
                    evidence = self.evidence_row(enrolment, "Revision notes")
                    first.append(evidence)
                    for entry in claimed:
                        entry.evidence.append(evidence)
                continue
            position = 0
            while position < len(entries):
                piece = entries[position : position + self.rng.randint(1, 3)]
                position += len(piece)
                codes = " ".join(p.decision.criterion.code for p in piece)
                evidence = self.evidence_row(enrolment, f"Unit 30 {codes}")
                first.append(evidence)
                for entry in piece:
                    entry.evidence.append(evidence)
                    if entry.resubmitted:
                        second.append((entry, evidence))
        self.make(Evidence, first)
        replaced = set()
        newer = []
        for entry, earlier in second:
            evidence = self.evidence_row(entry.decision.enrolment, "Resubmission")
            if earlier.pk not in replaced:
                replaced.add(earlier.pk)
                evidence.replaces, evidence.version = earlier, 2
            entry.evidence.append(evidence)
            newer.append(evidence)
        self.make(Evidence, newer)
        links, used = [], []
        through = Decision.evidence.through
        for entry in planned:
            decision = entry.decision
            for evidence in entry.evidence:
                links.append(
                    EvidenceLink(
                        evidence=evidence,
                        criterion_id=decision.criterion_id,
                        topic_id=decision.topic_id,
                        location=f"pages {self.rng.randint(1, 9)}-{self.rng.randint(10, 14)}",
                    )
                )
                if decision.assessor_id:
                    used.append(through(decision=decision, evidence=evidence))
        self.make(EvidenceLink, links)
        self.make(through, used)

    def predictions(self, enrolments: list[Enrolment], reach: dict[int, str]) -> None:
        """Most Unit 30 and half of Unit 6 enrolments have a prediction, some a newer one."""
        rows = []
        for enrolment in enrolments:
            share = 0.75 if enrolment.unit_id == self.unit30.pk else 0.5
            if self.rng.random() >= share:
                continue
            grade = reach[enrolment.pk]
            for note in ("Autumn", "Spring")[: self.rng.randint(1, 2)]:
                grade = self.rng.choice([grade, grade, "UPMD"[min(3, "UPMD".index(grade) + 1)]])
                rows.append(
                    Prediction(
                        enrolment=enrolment,
                        grade=grade,
                        note=f"{note} term",
                        predicted_by=self.teacher(enrolment),
                    )
                )
        self.make(Prediction, rows)

    def marks(self, enrolments: list[Enrolment], reach: dict[int, str]) -> None:
        """Unit 6: nearly all sat mock 1, most mock 2, a quarter the January exam."""
        rows = []
        for enrolment in enrolments:
            base = 0.3 + 0.15 * "UPMD".index(reach[enrolment.pk])
            for series, share in ((MOCK_1, 0.95), (MOCK_2, 0.6), (EXAM, 0.25)):
                if self.rng.random() < share:
                    mark = round(self.max_mark * min(1, max(0, self.rng.gauss(base, 0.12))))
                    rows.append(
                        ExamMark(
                            enrolment=enrolment,
                            series=self.series[series],
                            mark=mark,
                            entered_by=self.teacher(enrolment),
                        )
                    )
        self.make(ExamMark, rows)

    def assignments(self, groups: list[TeachingGroup]) -> list[Assignment]:
        """The unit's suggested plan in every group, deadlines from past to upcoming."""
        made = self.make(
            Assignment,
            [
                Assignment(
                    group=group,
                    unit=self.unit30,
                    title=suggestion.title,
                    brief=suggestion.guidance,
                    issued_on=self.today - timedelta(weeks=14),
                    deadline=self.today + timedelta(weeks=3 * index - 12, days=group.pk % 5),
                    created_by=self.teacher_of[group.pk],
                )
                for group in groups
                for index, suggestion in enumerate(self.plan)
            ],
        )
        through = Assignment.criteria.through
        criteria = {s.title: list(s.criteria.all()) for s in self.plan}
        self.make(
            through,
            [
                through(assignment=assignment, criterion=criterion)
                for assignment in made
                for criterion in criteria[assignment.title]
            ],
        )
        return made

    def extensions(self, assignments: list[Assignment], learners: list[Learner]) -> None:
        """One learner in fifty has an extension on an assignment of their group."""
        by_group: dict[int, list[Assignment]] = {}
        for assignment in assignments:
            by_group.setdefault(assignment.group_id, []).append(assignment)
        rows = []
        for learner in learners:
            if self.rng.random() < 0.02:
                assignment = self.rng.choice(by_group[learner.group_id])
                rows.append(
                    Extension(
                        assignment=assignment,
                        learner=learner,
                        deadline=assignment.deadline + timedelta(weeks=2),
                        reason="Illness",
                        granted_by=self.teacher_of[learner.group_id],
                    )
                )
        self.make(Extension, rows)

    def samples(
        self, groups: list[TeachingGroup], enrolments: list[Enrolment], planned: list[Planned]
    ) -> None:
        """Every group has a Unit 30 sample of three to six learners: one signed off, one
        judged (one sample in three disagreeing), one being checked, the rest at any stage.
        About one check in twelve disagrees and raises an action, open, answered or closed."""
        assessed: dict[int, list[Decision]] = {}
        for entry in planned:
            if entry.decision.assessor_id and entry.decision.criterion_id:
                assessed.setdefault(entry.decision.enrolment_id, []).append(entry.decision)
        by_group: dict[int, list[Enrolment]] = {}
        for enrolment in enrolments:
            if enrolment.unit_id == self.unit30.pk and enrolment.pk in assessed:
                by_group.setdefault(enrolment.learner.group_id, []).append(enrolment)
        samples = self.make(
            Sample,
            [
                Sample(
                    group=group,
                    unit=self.unit30,
                    verifier=self.verifier_of[group.pk],
                    kind=Sample.Kind.INTERIM if self.rng.random() < 0.6 else Sample.Kind.SUMMATIVE,
                )
                for group in groups
                if group.pk in by_group
            ],
        )
        staged = []  # (item, stage): 0 proposed, 1 being checked, 2 judged, 3 signed off
        for number, sample in enumerate(samples, start=self.rows["Sample"] - len(samples)):
            pool = by_group[sample.group_id]
            chosen = self.rng.sample(pool, min(len(pool), self.rng.randint(3, 6)))
            for position, enrolment in enumerate(chosen):
                item = SampleItem(sample=sample, enrolment=enrolment, reason="covers an assessor")
                stage = [3, 2, 1][position] if position < 3 else self.rng.randrange(4)
                if stage == 3:
                    item.judgement = SampleItem.Judgement.AGREE
                    item.signed_off_at, item.signed_off_by = self.now, sample.verifier
                elif stage == 2:
                    item.judgement = (
                        SampleItem.Judgement.DISAGREE
                        if position == 1 and number % 3 == 0
                        else SampleItem.Judgement.AGREE
                    )
                staged.append((item, stage))
        self.make(SampleItem, [item for item, _ in staged])
        checks, actions = [], []
        records = [Record(sample=s, actor=s.verifier, what="Sample proposed") for s in samples]
        for item, stage in staged:
            if not stage:
                continue
            decisions = assessed[item.enrolment_id]
            if stage == 1:
                decisions = decisions[: len(decisions) // 2 + 1]
            for index, decision in enumerate(decisions):
                disagreeing = item.judgement == SampleItem.Judgement.DISAGREE and index == 0
                agrees = not disagreeing and self.rng.random() >= 1 / 12
                checks.append(Check(item=item, decision=decision, agrees=agrees))
                if not agrees:
                    actions.append(self.action(item, decision))
            verifier = item.sample.verifier
            records.append(Record(sample=item.sample, item=item, actor=verifier, what="Checked"))
            if item.signed_off_at:
                records.append(
                    Record(sample=item.sample, item=item, actor=verifier, what="Signed off")
                )
        self.make(Check, checks)
        self.make(Action, actions)
        self.make(Record, records)

    def action(self, item: SampleItem, decision: Decision) -> Action:
        state = Action.State.values[self.actions % 3]  # open, answered, closed in turn
        self.actions += 1
        answered = state != Action.State.OPEN
        return Action(
            item=item,
            decision=decision,
            assessor=decision.assessor,
            what="Show where the evidence meets the criterion",
            due_on=self.today + timedelta(days=self.rng.randint(-14, 28)),
            state=state,
            response="Page reference added" if answered else "",
            responded_at=self.now if answered else None,
            closed_at=self.now if state == Action.State.CLOSED else None,
        )
