from django.urls import path

from mamapro.people import views

app_name = "people"

urlpatterns = [
    path("participants/", views.participant_list, name="participant_list"),
    path("participants/new/", views.participant_create, name="participant_create"),
    path("participants/<int:pk>/", views.participant_detail, name="participant_detail"),
    path("participants/<int:pk>/edit/", views.participant_edit, name="participant_edit"),
    path("participants/<int:pk>/children/new/", views.child_create, name="child_create"),
    path("participants/<int:pk>/consents/", views.consent_create, name="consent_create"),
    path("participants/<int:pk>/export/", views.participant_export, name="participant_export"),
    path("participants/<int:pk>/erase/", views.participant_erase, name="participant_erase"),
    path("consents/<int:pk>/revoke/", views.consent_revoke, name="consent_revoke"),
    path("children/<int:pk>/", views.child_detail, name="child_detail"),
    path("children/<int:pk>/edit/", views.child_edit, name="child_edit"),
    path("children/<int:pk>/photo/", views.child_photo, name="child_photo"),
    path("children/<int:pk>/photo/upload/", views.child_photo_upload, name="child_photo_upload"),
    path("children/<int:pk>/adults/new/", views.adult_create, name="adult_create"),
    path("adults/<int:pk>/edit/", views.adult_edit, name="adult_edit"),
    path("adults/<int:pk>/delete/", views.adult_delete, name="adult_delete"),
]
