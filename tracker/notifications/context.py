"""The navigation's count of unread notifications and the homes' "new since your last visit"."""

from functools import cached_property

from django.db.models import Count, Q
from django.http import HttpRequest

from tracker.models import Learner, Notification, User

# How many new notifications a home page lists (the notifications page lists them all).
HOME_LIMIT = 5


class NavNotifications:
    """Read lazily by templates: `unread` (an int) costs one query, `recent` one more and
    only when something is unread."""

    def __init__(self, user: User):
        self.user = user

    @cached_property
    def unread(self) -> int:
        """Count the person's unread notifications in one query.

        The navigation also asks whether the person is a learner; when nothing has read
        that yet, the same query brings the learner record along and leaves it on the
        user, so the navigation costs one query, as it did before notifications.
        """
        user = self.user
        if not user.is_authenticated:
            return 0
        unread = Count("notifications", filter=Q(notifications__read_at__isnull=True))
        descriptor = User.learner.related
        if descriptor.is_cached(user):
            return User.objects.filter(pk=user.pk).aggregate(n=unread)["n"]
        found = (
            User.objects.filter(pk=user.pk)
            .select_related("learner")
            .annotate(unread_count=unread)
            .first()
        )
        if found is None:
            return 0
        try:
            learner = found.learner
        except Learner.DoesNotExist:
            learner = None
        descriptor.set_cached_value(user, learner)
        return found.unread_count

    @cached_property
    def recent(self) -> list[Notification]:
        """The newest unread notifications, at most HOME_LIMIT."""
        if not self.unread:
            return []
        return list(
            Notification.objects.filter(recipient=self.user, read_at__isnull=True)[:HOME_LIMIT]
        )


def notifications(request: HttpRequest) -> dict:
    """Context processor: `notifications` for the navigation badge and the homes."""
    user = getattr(request, "user", None)
    return {"notifications": NavNotifications(user)} if user is not None else {}
