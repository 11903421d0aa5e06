"""Sections other apps add to the student detail page (like kongchuo.workbench panels).

    from students.sections import register_section

    @register_section(order=50)
    def cases_section(request, student):
        if not access.can(request.user, "case.view", student):
            return None
        return {"title": "控辍个案", "template": "cases/_student_section.html", "cases": ...}

The function returns None (nothing to show) or a dict with `title`, `template` and the template's context.
Keep each section to a constant number of queries.
"""
SECTIONS = []


def register_section(order):
    def deco(fn):
        SECTIONS.append((order, fn))
        SECTIONS.sort(key=lambda item: item[0])
        return fn

    return deco


def sections_for(request, student):
    result = []
    for _, fn in SECTIONS:
        section = fn(request, student)
        if section:
            result.append(section)
    return result
