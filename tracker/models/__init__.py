"""The tracking domain's models, split by domain and re-exported here."""

from tracker.models.accounts import Invitation, User
from tracker.models.assessment import (
    Assignment,
    Decision,
    DecisionChange,
    Evidence,
    EvidenceLink,
    ExamMark,
    ExportJob,
    Extension,
    Prediction,
    Status,
)
from tracker.models.notifications import Notification, NotificationSettings
from tracker.models.people import (
    TARGET_GRADES,
    AcademicYear,
    Centre,
    Enrolment,
    GcseTargetRange,
    LeadAssessor,
    Learner,
    StaffMembership,
    TargetChange,
    TeachingGroup,
    staff_centre_id,
)
from tracker.models.qualifications import (
    CentreGradeRange,
    GradeOnlyChange,
    GradeOnlyResult,
)
from tracker.models.summaries import (
    CentreSummary,
    EnrolmentSummary,
    GroupSummary,
    SummaryMarker,
)
from tracker.models.verification import Action, Check, Record, Sample, SampleItem

__all__ = [
    "CentreSummary",
    "EnrolmentSummary",
    "GroupSummary",
    "SummaryMarker",
    "CentreGradeRange",
    "GradeOnlyChange",
    "GradeOnlyResult",
    "Invitation",
    "Notification",
    "NotificationSettings",
    "Action",
    "Check",
    "Record",
    "Sample",
    "SampleItem",
    "Assignment",
    "Decision",
    "DecisionChange",
    "Evidence",
    "EvidenceLink",
    "ExamMark",
    "ExportJob",
    "Extension",
    "Prediction",
    "Status",
    "TARGET_GRADES",
    "AcademicYear",
    "Centre",
    "Enrolment",
    "GcseTargetRange",
    "LeadAssessor",
    "Learner",
    "StaffMembership",
    "TargetChange",
    "TeachingGroup",
    "User",
    "staff_centre_id",
]
