"""URL patterns: see notify/urls.py."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
