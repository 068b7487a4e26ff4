from mamapro.programs.attendance_urls import urlpatterns as attendance_patterns

app_name = "programs"

urlpatterns = [*attendance_patterns]
