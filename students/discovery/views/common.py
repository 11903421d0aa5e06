from django.core.exceptions import ValidationError


def form_errors_from(exc: ValidationError, form=None):
    """Put a service's ValidationError onto a form (field errors by name) and return the messages."""
    messages = []
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            for error in errors:
                text = " ".join(error.messages)
                messages.append(text)
                if form is not None:
                    form.add_error(name if name in form.fields else None, text)
    else:
        messages.extend(exc.messages)
        if form is not None:
            for text in exc.messages:
                form.add_error(None, text)
    return messages
