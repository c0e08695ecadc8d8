from django.contrib import admin

from criteria.models import (
    BoundarySet,
    Criterion,
    ExamSeries,
    GlossaryTerm,
    LearningOutcome,
    PointsValue,
    Qualification,
    QualificationAnchor,
    QualificationGradeRange,
    QualificationUnit,
    Resource,
    SuggestedAssignment,
    Suite,
    TopicItem,
    UcasTariff,
    Unit,
)


class PointsValueInline(admin.TabularInline):
    model = PointsValue
    extra = 0


@admin.register(Suite)
class SuiteAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "points_basis"]
    inlines = [PointsValueInline]


@admin.register(PointsValue)
class PointsValueAdmin(admin.ModelAdmin):
    list_display = ["suite", "size", "grade", "points", "verified"]
    list_filter = ["suite", "verified", "grade"]
    search_fields = ["source"]


class LearningOutcomeInline(admin.TabularInline):
    model = LearningOutcome
    extra = 0


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["number", "title", "suite", "reference", "glh", "credits", "assessment_mode"]
    list_filter = ["suite", "assessment_mode"]
    search_fields = ["title", "reference", "number"]
    inlines = [LearningOutcomeInline]


@admin.register(LearningOutcome)
class LearningOutcomeAdmin(admin.ModelAdmin):
    list_display = ["unit", "number", "title"]
    list_filter = ["unit"]
    search_fields = ["title"]


@admin.register(TopicItem)
class TopicItemAdmin(admin.ModelAdmin):
    list_display = ["code", "heading", "learning_outcome"]
    list_filter = ["learning_outcome__unit"]
    search_fields = ["code", "heading", "text"]
    list_select_related = ["learning_outcome__unit"]


@admin.register(Criterion)
class CriterionAdmin(admin.ModelAdmin):
    list_display = ["code", "unit", "band", "learning_outcome", "wording"]
    list_filter = ["unit", "band"]
    search_fields = ["code", "wording", "teaching_content"]
    list_select_related = ["unit", "learning_outcome"]


@admin.register(SuggestedAssignment)
class SuggestedAssignmentAdmin(admin.ModelAdmin):
    list_display = ["title", "unit", "evidence_form"]
    list_filter = ["unit"]
    search_fields = ["title", "guidance"]
    filter_horizontal = ["criteria"]


@admin.register(GlossaryTerm)
class GlossaryTermAdmin(admin.ModelAdmin):
    list_display = ["term", "unit"]
    list_filter = ["unit"]
    search_fields = ["term", "definition"]


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin):
    list_display = ["text", "kind", "unit"]
    list_filter = ["unit", "kind"]


@admin.register(BoundarySet)
class BoundarySetAdmin(admin.ModelAdmin):
    """Read-mostly: boundaries are entered on the app's Grade boundaries pages, which keep
    their history."""

    list_display = [
        "series",
        "distinction",
        "merit",
        "pass_mark",
        "near_pass",
        "illustrative",
    ]
    list_filter = ["series__unit", "illustrative"]
    search_fields = ["series__name", "source"]


@admin.register(ExamSeries)
class ExamSeriesAdmin(admin.ModelAdmin):
    list_display = ["name", "unit", "kind", "centre"]
    list_filter = ["unit", "kind"]
    search_fields = ["name"]


class SuperuserOnly:
    """Shared qualification data (the same OCR rules for every centre): only the site
    administrator may change it; centres enter their own point ranges in the app."""

    def has_add_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class QualificationUnitInline(SuperuserOnly, admin.TabularInline):
    model = QualificationUnit
    extra = 0
    fields = [
        "number",
        "title",
        "glh",
        "credits",
        "mandatory",
        "examined",
        "unit",
        "verified",
        "source",
    ]


class QualificationGradeRangeInline(SuperuserOnly, admin.TabularInline):
    model = QualificationGradeRange
    extra = 0


class QualificationAnchorInline(SuperuserOnly, admin.TabularInline):
    model = QualificationAnchor
    extra = 0


class UcasTariffInline(SuperuserOnly, admin.TabularInline):
    model = UcasTariff
    extra = 0


@admin.register(Qualification)
class QualificationAdmin(SuperuserOnly, admin.ModelAdmin):
    list_display = ["code", "name", "suite", "size", "optional_size", "letters", "verified"]
    list_filter = ["suite", "verified"]
    search_fields = ["code", "name"]
    inlines = [
        QualificationUnitInline,
        QualificationGradeRangeInline,
        QualificationAnchorInline,
        UcasTariffInline,
    ]
