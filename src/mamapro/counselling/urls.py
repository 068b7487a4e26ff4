"""Counselling: the schedule, booking, an appointment and its notes."""

from django.urls import URLPattern, path

from mamapro.counselling import views

app_name = "counselling"

urlpatterns: list[URLPattern] = [
    path("counselling/", views.schedule, name="schedule"),
    path("counselling/new/", views.appointment_create, name="appointment_create"),
    path("counselling/new/find/", views.client_find, name="client_find"),
    path("counselling/<int:pk>/", views.appointment, name="appointment"),
    path("counselling/<int:pk>/notes/", views.note_add, name="note_add"),
    path("counselling/<int:pk>/status/", views.appointment_status, name="appointment_status"),
]
