"""WSGI entry point: ``gunicorn 'run:app'`` or ``flask --app run run``."""
from app import create_app

app = create_app()
