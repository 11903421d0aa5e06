"""Demo notices (idempotent): issued, served with the clock running, overdue (escalated to the 办事处),
returned in time, cancelled, a term-start 辍学学生劝返通知书 and one at school B.

Each scenario opens its own case through the case services (students of 五年级 without a case), so it
does not depend on the cases demo; a scenario whose marker case exists is skipped.
"""
import datetime

from django.utils import timezone

from cases import services as case_services
from cases.models import Case, HomeVisit
from notices import services
from notices.models import Notice, NoticeKind, NoticeService
from students.models import Student

MARK = "【演示·通知书】"
S = Case.Status


def _at(day, hour=10):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, 0)))


def build(*, org, users, options, stdout):
    today = timezone.localdate()
    day = lambda n: today - datetime.timedelta(days=n)  # noqa: E731
    school_a, school_b = org["schools"][0], org["schools"][1]
    principal, principal2 = users["demo_principal"], users["demo_principal2"]
    done = set(Case.objects.filter(note__startswith=MARK).values_list("note", flat=True))
    made = []

    def student_of(school):
        return (Student.objects.filter(school=school, grade__school_year=org["year"], status=Student.Status.ENROLLED,
                                       family_members__is_guardian=True)
                .exclude(cases__isnull=False).order_by("grade__level", "pk").distinct().first())

    def open_case(scenario, school, actor, *, days_ago, visits):
        note = f"{MARK}{scenario}"
        if note in done:
            return None
        student = student_of(school)
        if student is None:
            stdout.write(f"通知书演示：{school.name} 没有可用的学生，跳过“{scenario}”")
            return None
        case = case_services.case_open(student=student, trigger=Case.Trigger.NOT_RETURNED, actor=actor, note=note,
                                       whereabouts="在家", dropout_date=day(days_ago + 2), now=_at(day(days_ago)))
        case_services.case_transition(case=case, to_status=S.PERSUADING, actor=actor, reason="开始劝返",
                                      now=_at(day(days_ago)))
        for n, ago in enumerate(visits):
            case_services.visit_log(
                student=student, case=case, actor=actor, visit_date=day(ago), now=_at(day(ago), 16),
                mode=HomeVisit.Mode.HOME if n % 2 == 0 else HomeVisit.Mode.PHONE, people_met="父亲、母亲",
                findings="监护人表示孩子不愿上学，暂不送返。" if n else "学生在家，称学习跟不上。",
                guardian_attitude=HomeVisit.Attitude.OPPOSED if n else HomeVisit.Attitude.HESITANT)
        case.refresh_from_db()
        return case

    def issue(case, actor, *, days_ago, kind=NoticeKind.RETURN, red_header=True):
        guardian = services.guardians_of(case.student)[0]
        return services.notice_issue(case=case, actor=actor, kind=kind, guardian=guardian, red_header=red_header,
                                     now=_at(day(days_ago), 9))

    def serve(notice, actor, *, days_ago, method=NoticeService.Method.IN_PERSON, witness=""):
        services.notice_record_service(
            notice=notice, actor=actor, served_at=_at(day(days_ago), 15), method=method,
            recipient_name=notice.content["guardian_name"], recipient_relation=notice.content["guardian_relation"],
            place=notice.content["address"] or "学生家中", deliverers=f"{actor.display_name}、班主任",
            witness=witness, now=_at(day(days_ago), 18))

    # 1. 已下达，待送达
    if case := open_case("待送达", school_a, principal, days_ago=20, visits=(18, 9)):
        made.append(issue(case, principal, days_ago=1))
    # 2. 已送达，七日期限计时中
    if case := open_case("期限中", school_a, principal, days_ago=25, visits=(23, 15, 8)):
        notice = issue(case, principal, days_ago=5)
        serve(notice, principal, days_ago=3)
        made.append(notice)
    # 3. 逾期：送达后七日未返校 → 上报管理区（办事处的列表和待办）
    if case := open_case("逾期", school_a, principal, days_ago=40, visits=(38, 30, 22)):
        notice = issue(case, principal, days_ago=16)
        serve(notice, principal, days_ago=14, method=NoticeService.Method.LEFT, witness="胡德明（村委会）")
        made.append(notice)
    # 4. 期限内复学，停止计时
    if case := open_case("按期复学", school_a, principal, days_ago=30, visits=(28, 20)):
        notice = issue(case, principal, days_ago=12)
        serve(notice, principal, days_ago=11)
        case_services.case_record_return(case=case, actor=principal, return_date=day(8),
                                         placement=Case.Placement.ORIGINAL, now=_at(day(8)))
        made.append(notice)
    # 5. 作废（编号保留）
    if case := open_case("作废", school_a, principal, days_ago=22, visits=(20, 12)):
        notice = issue(case, principal, days_ago=6, red_header=False)
        services.notice_cancel(notice=notice, actor=principal, reason="监护人姓名登记有误，已更正后重新下达",
                               now=_at(day(6), 11))
        made.append(issue(case, principal, days_ago=6, red_header=False))
    # 6. 开学未返校：辍学学生劝返通知书
    if case := open_case("开学未返校", school_a, principal, days_ago=4, visits=()):
        made.append(issue(case, principal, days_ago=2, kind=NoticeKind.TERM_START))
    # 7. 学校 B
    if case := open_case("学校B", school_b, principal2, days_ago=21, visits=(19, 10)):
        notice = issue(case, principal2, days_ago=4)
        serve(notice, principal2, days_ago=2, method=NoticeService.Method.VILLAGE)
        made.append(notice)
    lines = services.notice_check_deadlines(now=timezone.now())
    stdout.write(f"通知书：新增 {len(made)} 份（共 {Notice.objects.count()} 份）；期限检查 {len(lines)} 项"
                 + ("：" + "；".join(lines) if lines else ""))
