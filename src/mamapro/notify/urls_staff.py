"""The staff's message pages (notify/views_staff.py); see notify/urls.py."""

from django.urls import path

from mamapro.notify import views_staff

urlpatterns = [
    path("staff/messages/runs/<int:pk>/", views_staff.run_messages, name="notify_run_messages"),
    path("staff/messages/failed/", views_staff.failed_list, name="notify_failed"),
    path(
        "staff/messages/deliveries/<int:pk>/retry/",
        views_staff.retry,
        name="notify_delivery_retry",
    ),
    path("staff/messages/channels/", views_staff.channels, name="notify_channels"),
    path("staff/messages/my-contact/", views_staff.my_contact, name="notify_my_contact"),
]
