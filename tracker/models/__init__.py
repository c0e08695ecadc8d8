"""The tracking domain's models, split by domain and re-exported here."""

from tracker.models.accounts import User
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

__all__ = [
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
