"""The kids' room: the tutor's board, planning, alerts, incidents and the report."""

from django.urls import URLPattern, path

from mamapro.kidsroom import views

app_name = "kidsroom"

urlpatterns: list[URLPattern] = [
    path("kids-room/", views.board, name="board"),
    path("kids-room/bookings/<int:pk>/check-in/", views.check_in, name="check_in"),
    path("kids-room/bookings/<int:pk>/check-out/", views.check_out, name="check_out"),
    path("kids-room/bookings/<int:pk>/cancel/", views.cancel_booking, name="cancel_booking"),
    path("kids-room/sessions/<int:pk>/", views.session_bookings, name="session_bookings"),
    path("kids-room/shifts/", views.shifts, name="shifts"),
    path("kids-room/shifts/<int:pk>/delete/", views.shift_delete, name="shift_delete"),
    path("kids-room/centres/<int:pk>/ratio/", views.rules, name="rules"),
    path("kids-room/alerts/", views.alerts, name="alerts"),
    path("kids-room/alerts/<int:pk>/handled/", views.alert_acknowledge, name="alert_acknowledge"),
    path("kids-room/children/<int:pk>/incident/", views.incident_create, name="incident_create"),
    path("kids-room/incidents/", views.incidents, name="incidents"),
    path("kids-room/report/", views.report, name="report"),
]
