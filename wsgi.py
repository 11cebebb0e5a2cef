"""WSGI entry point for gunicorn: ``gunicorn wsgi:app``."""

from pos import create_app

app = create_app()
