from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from tracker.models import (
    AcademicYear,
    Centre,
    Enrolment,
    GcseTargetRange,
    LeadAssessor,
    Learner,
    StaffMembership,
    TargetChange,
    TeachingGroup,
    User,
)


@admin.register(User)
class TrackerUserAdmin(UserAdmin):
    list_display = [
        "username",
        "first_name",
        "last_name",
        "email",
        "is_teacher",
        "is_internal_verifier",
        "is_centre_admin",
        "is_active",
    ]
    list_filter = ["is_teacher", "is_internal_verifier", "is_centre_admin", "is_active"]
    fieldsets = [
        *UserAdmin.fieldsets,
        ("Roles", {"fields": ["is_teacher", "is_internal_verifier", "is_centre_admin"]}),
    ]


@admin.register(Centre)
class CentreAdmin(admin.ModelAdmin):
    list_display = ["name", "ocr_number", "aspiration_step"]
    search_fields = ["name", "ocr_number"]


@admin.register(AcademicYear)
class AcademicYearAdmin(admin.ModelAdmin):
    list_display = ["name", "centre", "starts_on", "ends_on", "is_current"]
    list_filter = ["centre", "is_current"]


@admin.register(TeachingGroup)
class TeachingGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "centre", "academic_year"]
    list_filter = ["centre", "academic_year"]
    search_fields = ["name"]
    filter_horizontal = ["units", "teachers", "internal_verifiers"]


class EnrolmentInline(admin.TabularInline):
    model = Enrolment
    extra = 0


@admin.register(Learner)
class LearnerAdmin(admin.ModelAdmin):
    list_display = ["candidate_number", "last_name", "first_name", "group", "centre"]
    list_filter = ["centre", "group"]
    search_fields = ["candidate_number", "first_name", "last_name", "email", "uln"]
    list_select_related = ["group", "centre"]
    raw_id_fields = ["user"]
    inlines = [EnrolmentInline]


@admin.register(TargetChange)
class TargetChangeAdmin(admin.ModelAdmin):
    list_display = ["enrolment", "old_grade", "new_grade", "source", "changed_by", "changed_at"]
    list_filter = ["source"]
    list_select_related = ["enrolment__learner", "enrolment__unit", "changed_by"]

    def has_change_permission(self, request, obj=None):
        return False  # history is never edited

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.register(StaffMembership)
admin.site.register(GcseTargetRange)
admin.site.register(LeadAssessor)
