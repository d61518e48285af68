"""``python -m econsec.service.cli``: the same command line as the ``econsec`` script."""

from . import app

app()
