from kongchuo import access


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "role_labels": []}
    return {"nav_items": access.navigation_for(user), "role_labels": access.role_labels(user)}
