from django.urls import path

from mamapro.programs import views
from mamapro.programs.attendance_urls import urlpatterns as attendance_patterns

app_name = "programs"

urlpatterns = [
    path("runs/", views.run_list, name="run_list"),
    path("runs/new/", views.run_create, name="run_create"),
    path("runs/<int:pk>/", views.run_detail, name="run_detail"),
    path("runs/<int:pk>/candidates/", views.run_candidates, name="run_candidates"),
    path("runs/<int:pk>/enroll/", views.run_enroll, name="run_enroll"),
    path("runs/<int:pk>/seats/", views.run_seats, name="run_seats"),
    path("runs/<int:pk>/sponsor/", views.run_sponsor, name="run_sponsor"),
    path("runs/<int:pk>/release/", views.run_release, name="run_release"),
    path("enrollments/<int:pk>/withdraw/", views.enrollment_withdraw, name="enrollment_withdraw"),
    path("enrollments/<int:pk>/accept/", views.enrollment_accept, name="enrollment_accept"),
    path("enrollments/<int:pk>/decline/", views.enrollment_decline, name="enrollment_decline"),
    path("enrollments/<int:pk>/seat/", views.enrollment_seat_type, name="enrollment_seat_type"),
    path("fees/<int:pk>/", views.fee_status, name="fee_status"),
    *attendance_patterns,
]
