from django.urls import path

from mamapro.public import views, views_staff

app_name = "public"

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("courses/<int:pk>/", views.run_detail, name="run_detail"),
    path("courses/<int:pk>/apply/", views.apply, name="apply"),
    path("courses/<int:pk>/applied/", views.applied, name="applied"),
    path("topics/", views.topic_list, name="topics"),
    path("topics/propose/", views.topic_propose, name="topic_propose"),
    path("topics/<int:pk>/vote/", views.topic_vote, name="topic_vote"),
    path("safety/", views.safety, name="safety"),
    path("staff/applications/", views_staff.applications, name="staff_applications"),
    path(
        "staff/applications/<int:pk>/handled/",
        views_staff.application_handled,
        name="application_handled",
    ),
    path(
        "staff/applications/<int:pk>/confirm/",
        views_staff.application_confirm,
        name="application_confirm",
    ),
    path(
        "staff/applications/<int:pk>/release/",
        views_staff.application_release,
        name="application_release",
    ),
    path("staff/topics/", views_staff.staff_topics, name="staff_topics"),
    path("staff/topics/<int:pk>/review/", views_staff.topic_review, name="topic_review"),
]
