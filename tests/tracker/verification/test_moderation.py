"""Moderation: the proposed sample and its streamed zip of sheets and evidence."""

import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.conftest import PDF, make_learner
from tracker.assessment.services import decision_for, record_decision
from tracker.evidence.services import Claim, submit_evidence
from tracker.lib.zipstream import safe_name
from tracker.verification.sampling import propose_sample


def assess(enrolment, unit, codes, assessor):
    for code in codes:
        decision = decision_for(enrolment, unit.criteria.get(code=code))
        record_decision(decision, assessor, "achieved", "", decision.revision)


def test_sample_covers_every_assessor_and_grade_then_the_minimum_share(cast):
    passes = [c.code for c in cast.unit30.criteria.filter(band="P")]
    assess(cast.enrolment, cast.unit30, passes, cast.teacher)
    learners = [
        make_learner(cast.centre, cast.group, f"{10 + n:04d}", "L", f"N{n}") for n in range(8)
    ]
    cast.group.teachers.add(cast.other_teacher)
    other = learners[0].enrolments.get(unit=cast.unit30)
    assess(other, cast.unit30, ["P1"], cast.other_teacher)
    sample, rest, _ = propose_sample(cast.group, cast.unit30)
    reasons = {e.progress.enrolment.learner.last_name: e.reasons for e in sample}
    assert (
        "checks Teacher Staff's marking at Pass (one learner per assessor and grade)"
        in (reasons["Learner"])
    )
    assert (
        "checks Other_Teacher Staff's marking at Unclassified (one learner per assessor and grade)"
        in (reasons["N0"])
    )
    assert len(sample) == 3  # 25 % of 9 is 3 (at least three)
    assert len(sample) + len(rest) == 9


def test_safe_names_have_no_paths_or_odd_characters():
    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("C:\\Users\\x\\essay.docx") == "essay.docx"
    assert safe_name("my essay (final).PDF") == "my essay _final.PDF"
    assert safe_name("=cmd|.exe") == "cmd.exe"


def test_the_sample_zip_streams_sheets_index_and_evidence(cast, client_for):
    submit_evidence(
        cast.enrolment,
        cast.learner.user,
        [Claim(cast.unit30.criteria.get(code="P2"), "p. 4")],
        upload=SimpleUploadedFile("../evil name.pdf", PDF),
        original_name="../evil name.pdf",
        content_type="application/pdf",
        declared=True,
    )
    response = client_for("admin").get(
        reverse("moderation_zip", args=[cast.group.pk, cast.unit30.pk])
    )
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = archive.namelist()
    assert "unit-recording-sheets.xlsx" in names and "evidence-index.txt" in names
    evidence = [n for n in names if n.startswith("0001 Learner Lara/")]
    assert len(evidence) == 2 and all(".." not in n for n in evidence)
    assert archive.read(evidence[0]) == PDF
    assert "P2 (p. 4)" in archive.read("evidence-index.txt").decode()
