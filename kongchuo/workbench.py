"""我的工作台: each app registers panels; a panel decides from `access` whether it shows for a user."""
PANELS = []


def register_panel(order):
    """Decorator: `fn(request) -> dict | None` with keys title, template, and any context the template needs."""

    def deco(fn):
        PANELS.append((order, fn))
        PANELS.sort(key=lambda item: item[0])
        return fn

    return deco


def panels_for(request):
    result = []
    for _, fn in PANELS:
        panel = fn(request)
        if panel:
            result.append(panel)
    return result
