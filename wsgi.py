"""WSGI entry point and composition root: ``gunicorn wsgi:app`` or ``flask --app wsgi run``.

The web application does not know the background workers (``webapp`` never imports ``jobs``);
here the ``herald worker`` and ``herald scheduler`` commands join the ``herald`` group.
"""

from jobs.cli import register
from webapp import create_app

register()
app = create_app()
