"""The gunicorn entry point."""

from eventnet import create_app

app = create_app()
