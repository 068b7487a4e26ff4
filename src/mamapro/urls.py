from django.contrib import admin
from django.urls import include, path

from mamapro.api import api
from mamapro.centres import views as centre_views
from mamapro.core import audit_viewer, two_factor
from mamapro.core import views as core_views

urlpatterns = [
    path("", include("mamapro.public.urls")),
    path("staff/", centre_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("login/", core_views.login, name="login"),
    path("login/2fa/", two_factor.two_factor, name="two_factor"),
    path("logout/", core_views.logout, name="logout"),
    path("language/", core_views.set_language, name="set_language"),
    path("centre/", centre_views.switch_centre, name="switch_centre"),
    path("audit/", audit_viewer.audit_log, name="audit_log"),
    path("audit/export.csv", audit_viewer.audit_export, name="audit_export"),
    path("", include("mamapro.people.urls")),
    path("", include("mamapro.programs.urls")),
    path("", include("mamapro.kidsroom.urls")),
    path("", include("mamapro.counselling.urls")),
    path("", include("mamapro.notify.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]
