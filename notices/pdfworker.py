"""Runs in short-lived worker processes: HTML string → PDF bytes. Imports no Django (nothing to set up,
no database connection to inherit)."""


def write_pdf(html):
    from weasyprint import HTML

    return HTML(string=html).write_pdf()


def warm_up():
    """Load WeasyPrint, Pango and the fonts once per worker before the first chunk arrives."""
    import weasyprint  # noqa: F401
