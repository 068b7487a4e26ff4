"""Roll call, follow-up tasks and certificates (staff side)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
