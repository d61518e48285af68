"""Server-rendered HTML pages, one module per page family (``queries``: the saved-query tables).

Plain functions over ``html.escape`` rather than a template engine: the pages are small, the
service has no template dependency, and every value is escaped in one place (:func:`queries.text`).
"""
