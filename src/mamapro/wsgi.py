"""WSGI entry point (gunicorn mamapro.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mamapro.settings")
application = get_wsgi_application()
