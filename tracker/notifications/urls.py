"""Routes for a person's notifications and their email choices."""

from django.urls import path

from tracker.notifications import views

urlpatterns = [
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/read/", views.mark_read, name="notifications_read"),
    path("notifications/settings/", views.email_settings, name="notification_settings"),
]
