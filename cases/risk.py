"""Risk signals from cases for students.risk (registered here so students never imports cases)."""
from students.risk import register_signal

ATTITUDE_POINTS = {"opposed": (3, "最近一次家访：监护人抵触"), "unreachable": (2, "最近一次家访：未能联系到监护人"),
                   "hesitant": (1, "最近一次家访：监护人犹豫观望")}
RISK_POINTS = {"high": (3, "家访评估：辍学风险高"), "medium": (2, "家访评估：辍学风险中")}


@register_signal
def home_visit_findings(student):
    from cases.models import Case, HomeVisit

    reasons = []
    visit = (HomeVisit.objects.alive().filter(student=student).order_by("-visit_date", "-id")
             .only("guardian_attitude", "risk_level", "visit_date").first())
    if visit is not None:
        if visit.guardian_attitude in ATTITUDE_POINTS:
            points, text = ATTITUDE_POINTS[visit.guardian_attitude]
            reasons.append((points, f"{text}（{visit.visit_date:%Y-%m-%d}）"))
        if visit.risk_level in RISK_POINTS:
            points, text = RISK_POINTS[visit.risk_level]
            reasons.append((points, f"{text}（{visit.visit_date:%Y-%m-%d}）"))
    case = Case.objects.open().filter(student=student).only("status").first()
    if case is not None and case.is_out_of_school:
        reasons.append((3, f"有未结个案：{case.get_status_display()}"))
    return reasons
