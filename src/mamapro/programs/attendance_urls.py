"""Roll call, follow-up tasks and certificates (staff side), and the public certificate check."""

from django.urls import URLPattern, path

import mamapro.programs.views_attendance as views

urlpatterns: list[URLPattern] = [
    path("roll-call/", views.roll_call_list, name="roll_call_list"),
    path("sessions/<int:pk>/roll-call/", views.roll_call, name="roll_call"),
    path("runs/<int:pk>/attendance/", views.run_attendance, name="run_attendance"),
    path("runs/<int:pk>/attendance/close/", views.run_complete, name="run_complete"),
    path("follow-ups/", views.follow_up_list, name="follow_up_list"),
    path("follow-ups/<int:pk>/done/", views.follow_up_done, name="follow_up_done"),
    path("certificates/<int:pk>/pdf/", views.certificate_pdf, name="certificate_pdf"),
    # Public: an employer or a grant officer checks a certificate's code.
    path("certificates/verify/", views.certificate_verify, name="certificate_verify"),
    path("certificates/<str:code>/", views.certificate_check, name="certificate_check"),
]
