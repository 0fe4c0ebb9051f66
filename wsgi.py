"""WSGI entry for production servers, e.g. ``gunicorn -w 1 --threads 200 wsgi:app``.

Migrations are applied here too, so a fresh database works on the first start.
"""

from app import create_app
from config import Settings
from migrations import upgrade

settings = Settings()
upgrade(settings.database_url)
app = create_app(settings)
