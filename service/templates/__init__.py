"""Server-rendered HTML: Jinja2 templates (``*.html``, autoescaped) and the modules that fill them.

``render.py`` renders the browser pages (home, editor, search results, gallery); ``queries.py``
fills the gallery templates for the saved-query routes; the linked-data router renders
``resource.html``, ``graph.html`` and ``not_found.html``. Every page extends ``base.html``.
"""
