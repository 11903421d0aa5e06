"""Receivers for other apps' events. A case that leaves the out-of-school states (复学, 结案, 缓学) stops the
clock of its open notices at once (the deadline run would also catch it, later)."""


def case_saved(sender, instance, created, raw=False, **kwargs):
    if created or raw:
        return
    from notices.services import stop_clock_for_case

    stop_clock_for_case(instance)
