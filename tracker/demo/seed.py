"""The demo centre: staff, two groups, learners, evidence and decisions from U to D."""

from datetime import date, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from criteria.models import BoundarySet, ExamSeries, Qualification, TopicItem, Unit
from tracker.assessment.services import decision_for, record_decision
from tracker.demo.centre import (
    DEMO_CENTRE_NUMBER,
    DEMO_LEARNERS,
    DEMO_PASSWORD,
    DEMO_STAFF,
    demo_pdf,
    learner_username,
)
from tracker.evidence.services import Claim, submit_evidence
from tracker.lib.uploads import sha256_of
from tracker.models import (
    AcademicYear,
    Assignment,
    Centre,
    Enrolment,
    ExamMark,
    GradeOnlyChange,
    GradeOnlyResult,
    LeadAssessor,
    Learner,
    Notification,
    Prediction,
    StaffMembership,
    Status,
    TeachingGroup,
    User,
)
from tracker.people.targets import set_target

GRADES = "PMD"
# How many notifications each demo person still has to read: a realistic handful.
NEW_NOTIFICATIONS = 3


class DemoSeeder:
    """Write the demo centre in one go (the caller holds the transaction)."""

    def seed(self, units: dict[int, Unit]) -> dict[str, int]:
        centre = Centre.objects.create(
            name="Riverside Sixth Form College (demo)", ocr_number=DEMO_CENTRE_NUMBER
        )
        year = AcademicYear.objects.create(
            centre=centre,
            name="2026/27",
            starts_on=date(2026, 9, 1),
            ends_on=date(2027, 7, 31),
            is_current=True,
        )
        staff = {}
        for username, first, last, roles, _ in DEMO_STAFF:
            user = User(
                username=username,
                first_name=first,
                last_name=last,
                email=f"{username.replace('.', '')}@riverside.example.org",
                **dict.fromkeys(roles, True),
            )
            user.is_staff = user.is_superuser = "is_centre_admin" in roles
            user.set_password(DEMO_PASSWORD)
            user.save()
            StaffMembership.objects.create(user=user, centre=centre)
            staff[username] = user
        first_group = TeachingGroup.objects.create(centre=centre, academic_year=year, name="13HSC1")
        second_group = TeachingGroup.objects.create(
            centre=centre, academic_year=year, name="13HSC2"
        )
        first_group.teachers.add(staff["p.shah"], staff["e.walsh"])
        second_group.teachers.add(staff["j.okafor"], staff["e.walsh"])
        first_group.internal_verifiers.add(staff["m.hughes"])
        second_group.internal_verifiers.add(staff["p.shah"], staff["m.hughes"])
        for group in (first_group, second_group):
            group.units.add(*units.values())
        LeadAssessor.objects.create(centre=centre, unit=units[30], user=staff["p.shah"])
        LeadAssessor.objects.create(centre=centre, unit=units[6], user=staff["j.okafor"])
        for index, (first, last) in enumerate(DEMO_LEARNERS):
            username = learner_username(first, last)
            account = User(
                username=username,
                first_name=first,
                last_name=last,
                email=f"{username}@students.riverside.example.org",
            )
            account.set_password(DEMO_PASSWORD)
            account.save()
            learner = Learner.objects.create(
                centre=centre,
                candidate_number=f"{1001 + index:04d}",
                first_name=first,
                last_name=last,
                email=account.email,
                user=account,
                group=first_group if index % 2 == 0 else second_group,
                # On roll since the course began, before the first assignment was issued.
                joined_at=timezone.now() - timedelta(weeks=12),
            )
            for offset, unit in enumerate(units.values()):
                enrolment = Enrolment.objects.create(learner=learner, unit=unit, academic_year=year)
                # Every third learner's unit 6 target is left for the teacher to set.
                if unit.number == 6 and index % 3 == 2:
                    continue
                set_target(enrolment, GRADES[(index + offset) % 3], staff["admin"], "import")
        self.seed_assessment(centre, [first_group, second_group], units)
        self.seed_qualifications(centre, units)
        self.settle_notifications()
        return {"staff": len(staff), "learners": len(DEMO_LEARNERS)}

    def seed_assessment(self, centre, groups, units) -> None:
        """Give the demo a year in progress: assignments, evidence, decisions, mock marks."""
        today = timezone.localdate()
        unit30, unit6 = units[30], units[6]
        mock = ExamSeries.objects.create(
            unit=unit6, name="Mock 1", kind=ExamSeries.Kind.MOCK, centre=centre
        )
        BoundarySet.objects.create(
            series=mock,
            max_mark=60,
            distinction=48,
            merit=38,
            pass_mark=28,
            near_pass=22,
            illustrative=True,
            source="Illustrative boundaries for the demo: not OCR's. Enter each real series' "
            "boundaries from OCR's published document.",
        )
        criteria = {c.code: c for c in unit30.criteria.all()}
        topics = list(TopicItem.objects.filter(learning_outcome__unit=unit6).order_by("pk"))
        for group in groups:
            teacher = group.teachers.order_by("pk").first()
            for index, suggestion in enumerate(unit30.suggested_assignments.all()):
                assignment = Assignment.objects.create(
                    group=group,
                    unit=unit30,
                    title=suggestion.title,
                    brief=suggestion.guidance,
                    issued_on=today - timedelta(weeks=10),
                    deadline=today + timedelta(weeks=3 * index - 4),
                    created_by=teacher,
                )
                assignment.criteria.set(suggestion.criteria.all())
            learners = group.learners.order_by("candidate_number").select_related("user")
            for position, learner in enumerate(learners):
                self.seed_learner(learner, teacher, criteria, topics, unit30, unit6, position, mock)

    @staticmethod
    def settle_notifications(keep: int = NEW_NOTIFICATIONS) -> None:
        """Leave each person only their `keep` newest unread notifications, as if they had
        read the older ones: a term's worth of seeded events is not all news. Work already
        marked has stopped being new on its own (`notifications.work_assessed`)."""
        kept: dict[int, int] = {}
        seen = []
        unread = Notification.objects.filter(read_at__isnull=True).order_by("-created_at", "-pk")
        for pk, recipient_id in unread.values_list("pk", "recipient_id"):
            kept[recipient_id] = kept.get(recipient_id, 0) + 1
            if kept[recipient_id] > keep:
                seen.append(pk)
        Notification.objects.filter(pk__in=seen).update(read_at=timezone.now())

    def seed_learner(
        self, learner, teacher, criteria, topics, unit30, unit6, position, mock
    ) -> None:
        enrolment = learner.enrolments.get(unit=unit30)
        level = position % 5  # 0: U, 1: Pass, 2: Merit, 3: Distinction, 4: resubmitting
        plan = {
            0: (["P1", "P2", "P3"], ["P3"], ["P4"]),
            1: (["P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8", "P9", "P10"], [], ["M1"]),
            2: ([c for c in criteria if c != "D1"], [], []),
            3: (list(criteria), [], []),
            4: (["P1", "P2", "P3", "P4", "P5", "P6", "P7", "M1"], ["P7", "M1"], []),
        }[level]
        assessed, not_yet, waiting = plan
        for code in assessed + waiting:
            pdf = SimpleUploadedFile(
                f"{code} {learner.last_name}.pdf", demo_pdf(f"{learner.full_name} - Unit 30 {code}")
            )
            submit_evidence(
                enrolment,
                learner.user,
                [Claim(criteria[code], "pages 1-2")],
                upload=pdf,
                original_name=pdf.name,
                content_type="application/pdf",
                sha256=sha256_of(pdf),
                declared=True,
            )
        for code in assessed:
            decision = decision_for(enrolment, criteria[code])
            if code in not_yet:
                record_decision(
                    decision,
                    teacher,
                    Status.NOT_YET,
                    f"{code}: explain in more depth, with an example from practice.",
                    decision.revision,
                )
            else:
                record_decision(
                    decision,
                    teacher,
                    Status.ACHIEVED,
                    f"{code} met: clear and well supported.",
                    decision.revision,
                )
        if level == 4:  # the learner has resubmitted P7
            pdf = SimpleUploadedFile(f"P7 {learner.last_name} v2.pdf", demo_pdf("P7 resubmission"))
            submit_evidence(
                enrolment,
                learner.user,
                [Claim(criteria["P7"], "slides 2-6")],
                upload=pdf,
                original_name=pdf.name,
                content_type="application/pdf",
                sha256=sha256_of(pdf),
                declared=True,
            )
        if position % 2 == 0:
            Prediction.objects.create(
                enrolment=enrolment,
                grade="UPMDM"[level],
                note="Autumn term prediction",
                predicted_by=teacher,
            )
        exam = learner.enrolments.get(unit=unit6)
        ExamMark.objects.create(
            enrolment=exam,
            series=mock,
            mark=18 + (position * 7) % 40,
            entered_by=teacher,
        )
        for topic in topics[: 8 + position % 10]:
            decision = decision_for(exam, topic)
            record_decision(
                decision,
                teacher,
                Status.ACHIEVED,
                "Secure in class questioning.",
                decision.revision,
            )

    def seed_qualifications(self, centre, units) -> None:
        """Register the learners on qualifications and give their other units grades.

        Most are on a 2016 qualification (Unit 6 tracked, the other units grade-only, Unit 30
        outside it); every fourth is on the 2012 Subsidiary Diploma, where Unit 30 counts and
        Unit 6 is outside. Amelia Khan (the first learner) is on the Diploma with predictions
        adding up to 200 points, OCR's worked example of DD. Skipped when the qualifications
        are not loaded (load_specs loads them).
        """
        qualifications = Qualification.objects.in_bulk(
            ["05831", "05833", "L3-2012-SUBDIP"], field_name="code"
        )
        if len(qualifications) < 3:
            return
        learners = list(
            Learner.objects.filter(centre=centre)
            .order_by("candidate_number")
            .select_related("group")
        )
        results, changes = [], []
        for index, learner in enumerate(learners):
            if index % 4 == 3:
                code = "L3-2012-SUBDIP"
            elif index == 0 or index % 2 == 1:
                code = "05833"
            else:
                code = "05831"
            qualification = qualifications[code]
            learner.qualification = qualification
            teacher = learner.group.teachers.order_by("pk").first()
            taken = self._units_taken(qualification)
            for number, unit in taken.items():
                if unit.unit_id is not None:
                    continue  # tracked in full: its progress counts
                achieved, predicted = self._grades(index, number)
                results.append(
                    GradeOnlyResult(
                        learner=learner,
                        qualification_unit=unit,
                        achieved=achieved,
                        predicted=predicted,
                        updated_by=teacher,
                    )
                )
            if code != "L3-2012-SUBDIP" and index % 3 != 2:
                Prediction.objects.create(
                    enrolment=learner.enrolments.get(unit=units[6]),
                    grade="M" if index == 0 else "RPMD"[index % 4],
                    note="From Mock 1 and class questions",
                    predicted_by=teacher,
                )
        Learner.objects.bulk_update(learners, ["qualification"])
        for result in GradeOnlyResult.objects.bulk_create(results):
            changes.append(
                GradeOnlyChange(
                    result=result,
                    new_achieved=result.achieved,
                    new_predicted=result.predicted,
                    changed_by=result.updated_by,
                )
            )
        GradeOnlyChange.objects.bulk_create(changes)

    @staticmethod
    def _units_taken(qualification) -> dict:
        """The mandatory units and optional units filling the optional size (the highest
        numbers first, which fill the demo's sizes exactly)."""
        units = list(qualification.units.order_by("-number"))
        per_credit = qualification.suite.points_basis == "credit"
        taken, room = {}, qualification.optional_size
        for unit in units:
            size = (unit.credits or 0) if per_credit else unit.glh
            if unit.mandatory:
                taken[unit.number] = unit
            elif size <= room:
                taken[unit.number] = unit
                room -= size
        return dict(sorted(taken.items()))

    @staticmethod
    def _grades(index: int, number: int) -> tuple[str, str]:
        """(achieved, predicted) for a demo learner's grade-only unit: units 1 and 2 were
        finished last year; Amelia's grades add up to OCR's 200-point DD example."""
        if index == 0:
            plan = {1: ("M", ""), 2: ("D", ""), 7: ("", "D"), 8: ("", "D"), 11: ("", "D")}
            return plan.get(number, ("", "M"))
        grade = "PMDM"[(index + number) % 4]
        return (grade, "") if number in (1, 2) else ("", grade)
