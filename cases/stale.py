"""Why a case, a 销号 request or a 缓学/免学 application is no longer in the state a page showed: the messages
kongchuo.lifecycle shows the loser of a race, built from the latest event row (who, when, what).
Registered in CasesConfig.ready."""
from kongchuo import lifecycle
from kongchuo.lifecycle import STALE_TAIL, when, who

STAGE_VERBS = {"escalated": "上报到", "returned_down": "退回到"}


def describe_case(case, field):
    from cases.models import CaseEvent

    events = CaseEvent.objects.filter(case=case).select_related("actor").order_by("-at", "-id")
    if field == "stage":
        event = events.exclude(to_stage="").filter(to_stage=case.stage).first()
        if event is None:
            return f"个案已转到“{case.get_stage_display()}”层级。{STALE_TAIL}"
        verb = STAGE_VERBS.get(event.kind, "转到")
        return f"个案已由{who(event.actor)}于{when(event.at)}{verb}“{case.get_stage_display()}”层级。{STALE_TAIL}"
    if field == "status":
        event = events.exclude(to_status="").filter(to_status=case.status).first()
        if event is None:
            return f"个案状态已变更为“{case.get_status_display()}”。{STALE_TAIL}"
        move = (event.details or {}).get("move") or event.get_kind_display()
        return (f"个案已由{who(event.actor)}于{when(event.at)}变更为“{case.get_status_display()}”（{move}）。"
                f"{STALE_TAIL}")
    return ""


def describe_closure(closure, field):
    if closure.reviewed_at is None:
        return ""
    return (f"该销号申请已由{who(closure.reviewer)}于{when(closure.reviewed_at)}审核"
            f"（{closure.get_status_display()}）。{STALE_TAIL}")


def describe_exemption(exemption, field):
    from cases.models import ExemptionStep

    step = (ExemptionStep.objects.filter(exemption=exemption).exclude(step=ExemptionStep.Step.APPLY)
            .select_related("actor").order_by("-at", "-id").first())
    if step is None:
        return ""
    return (f"该申请已由{who(step.actor)}于{when(step.at)}办理“{step.get_step_display()}”"
            f"（{step.get_decision_display()}），现为“{exemption.get_status_display()}”。{STALE_TAIL}")


def register():
    from cases.models import Case, CaseClosure, Exemption

    lifecycle.register(Case, describe_case)
    lifecycle.register(CaseClosure, describe_closure)
    lifecycle.register(Exemption, describe_exemption)
