from django.urls import path

from criteria import views

app_name = "criteria"
urlpatterns = [
    path("", views.unit_list, name="unit_list"),
    path("<slug:slug>/", views.unit_detail, name="unit"),
]
