"""Demo cases (idempotent): every stage of the lifecycle, visits with findings, an exemption in progress,
a 送教上门 plan with sessions, assistance records and an escalated case on the 办事处's list.

Scenarios are keyed by student: a student who already has a case (or plan, exemption…) is skipped.
Everything goes through the services, with past `now` values so the timelines read like real ones.
"""
import datetime
import io
import uuid

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from cases import services
from cases.models import AssistanceRecord, Case, CaseEvent, Exemption, FollowUp, HomeVisit, TeachingPlan
from cases.receivers import on_absence_threshold
from cases.services.retention import retention_minimum_end
from kongchuo import access
from kongchuo.workdays import WorkCalendar
from students.models import Student

NS = uuid.UUID("6f1c2a9e-0d1b-4c55-9a51-5a8d2f1e7c01")
S = Case.Status
V = HomeVisit


def _at(day, hour=10):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, 0)))


def _photo(text_color=(40, 90, 160)):
    image = Image.new("RGB", (1200, 900), (236, 240, 244))
    draw = ImageDraw.Draw(image)
    draw.rectangle((80, 300, 1120, 860), fill=(200, 190, 170))
    draw.polygon([(40, 320), (600, 60), (1160, 320)], fill=(150, 60, 50))
    draw.rectangle((520, 560, 680, 860), fill=text_color)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return ContentFile(out.getvalue(), name="demo.jpg")


def _pdf(title):
    """A real one-page PDF (uploads are parsed: a fake one would be refused)."""
    import pikepdf

    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.docinfo["/Title"] = f"demo {title}"
    out = io.BytesIO()
    pdf.save(out)
    return ContentFile(out.getvalue(), name="demo.pdf")


class Demo:
    def __init__(self, org, users, stdout):
        self.org, self.u, self.out = org, users, stdout
        self.today = timezone.localdate()
        self.made = []
        year = org["year"]
        base = (Student.objects.filter(grade__school_year=year, status=Student.Status.ENROLLED)
                .exclude(cases__isnull=False).order_by("grade__level", "school_class__number", "pk"))
        school_a, school_b = org["schools"][0], org["schools"][1]
        huwa = org["villages"]["胡洼村"]
        teacher_students = set(users["demo_teacher"].care_assignments.filter(is_active=True)
                               .values_list("student_id", flat=True))
        self.pools = {
            # the demo teacher's own students first, so 我的工作台 shows them
            "a3": sorted(base.filter(school=school_a, grade__level=3, school_class__number=1),
                         key=lambda st: (st.pk not in teacher_students, st.pk)),
            "huwa": list(base.filter(school=school_a, village=huwa, grade__level__gte=4)),
            "a5": list(base.filter(school=school_a, grade__level=5)),
            "b": list(base.filter(pk__in=users["demo_teacher2"].care_assignments.filter(is_active=True)
                                  .values("student_id"), school=school_b)),
        }

    def take(self, pool):
        items = self.pools[pool]
        while items:
            student = items.pop(0)
            if not Case.objects.filter(student=student).exists():
                for other in self.pools.values():  # a student serves one scenario only
                    if student in other:
                        other.remove(student)
                return student
        return None

    def who(self, action, obj, *usernames):
        """The first demo account (teacher → head teacher → principal by default) allowed to act on `obj`."""
        for username in usernames or ("demo_teacher", "demo_headteacher", "demo_principal"):
            user = self.u[username]
            if access.can(user, action, obj) and (not action.startswith("case.escalate") or obj.owner_id == user.pk
                                                  or access.acts_at_case_stage(user, obj.stage)):
                return user
        return self.u["demo_principal"]

    def school(self, action, case):
        """The head teacher, else the principal: who acts for the school."""
        return self.who(action, case, "demo_headteacher", "demo_principal")

    def day(self, n):
        return self.today - datetime.timedelta(days=n)

    def open(self, student, *, days_ago, scenario, trigger=Case.Trigger.TEACHER_REPORT, reasons=(), note="",
             actor=None, **extra):
        if actor is None or not access.can(actor, "case.open", student):
            actor = self.who("case.open", student)
        return services.case_open(student=student, trigger=trigger, actor=actor, reasons=reasons, note=note,
                                  event_key=f"demo:{scenario}", now=_at(self.day(days_ago), 9), **extra)

    def visit(self, case_or_student, *, days_ago, findings, attitude, actor=None, risk="", people="母亲",
              mode=V.Mode.HOME, next_step="", photo=False, family=""):
        case = case_or_student if isinstance(case_or_student, Case) else None
        student = case.student if case else case_or_student
        target = case or student
        action = "case.visit" if case else "visit.log"
        if actor is None or not access.can(actor, action, target):
            actor = self.who(action, target)
        key = uuid.uuid5(NS, f"visit:{student.pk}:{days_ago}:{findings[:20]}")
        visit, _ = services.visit_log(
            student=student, case=case, actor=actor, idempotency_key=key, visit_date=self.day(days_ago), mode=mode,
            people_met=people, findings=findings, guardian_attitude=attitude, risk_level=risk,
            family_situation=family, next_step=next_step,
            next_step_date=self.day(days_ago - 3) if next_step and days_ago >= 3 else None,
            visitors=[self.u["demo_headteacher"]] if actor != self.u["demo_headteacher"] else [],
            photos=[_photo()] if photo else [], now=_at(self.day(days_ago), 16))
        return visit

    def done(self, label, case):
        self.made.append(f"{label}（{case.student.name}）")


def _todo(scenario):
    return not CaseEvent.objects.filter(key=f"demo:{scenario}").exists()


@transaction.atomic
def build(*, org, users, options, stdout):
    d = Demo(org, users, stdout)
    teacher, head, principal = users["demo_teacher"], users["demo_headteacher"], users["demo_principal"]
    office = users["demo_office"]

    def scenario(name, pool="a3"):
        return d.take(pool) if _todo(name) else None

    # 1. 预警: an absence alert from the registry (3 days) opens a case for the 班主任 to visit.
    if student := scenario("warning"):
        case = d.open(student, days_ago=2, scenario="warning", trigger=Case.Trigger.ABSENCE, actor=head,
                      note="连续 3 个教学日无故缺勤")
        on_absence_threshold(sender=Student, student=student, level="alert", days=3, since=d.day(4), actor=None)
        d.done("预警", case)

    # 2. 劝返中 at the teacher tier, two visits.
    if student := scenario("persuading"):
        case = d.open(student, days_ago=12, scenario="persuading", reasons=[Case.Reason.STUDY], whereabouts="在家",
                      note="连续一周未到校，家长称孩子不愿上学。", actor=teacher)
        d.visit(case, days_ago=11, findings="学生数学跟不上，觉得上学没意思；父母在外务工，祖母监护。",
                attitude=V.Attitude.HESITANT, risk=V.Risk.MEDIUM, people="学生本人、祖母",
                next_step="班主任与数学老师一起补课，周一接送到校",
                family="父母在浙江务工，祖母（68岁）照看，家庭收入一般。", photo=True)
        d.visit(case, days_ago=5, findings="学生答应下周回校试读，祖母支持。", attitude=V.Attitude.SUPPORTIVE,
                people="学生本人、祖母", mode=V.Mode.PHONE, next_step="周一到校")
        d.done("劝返中", case)

    # 3. 劝返中, escalated to the school and now overdue there.
    if student := scenario("school_overdue"):
        case = d.open(student, days_ago=30, scenario="school_overdue", reasons=[Case.Reason.PARENT_NEGLECT],
                      actor=teacher, note="家长认为“读书无用”，让孩子在家看店。")
        d.visit(case, days_ago=28, findings="父亲态度强硬，认为孩子识字就够了。", attitude=V.Attitude.OPPOSED,
                risk=V.Risk.HIGH, people="父亲", next_step="请校长一同上门宣讲义务教育法")
        services.case_escalate(case=case, actor=d.who("case.escalate", case), reason="多次家访无效，家长抵触，需学校出面",
                               now=_at(d.day(26)))
        d.done("上报学校（已超期）", case)

    # 4. 通知已送达: the 7-day clock (notices) is running.
    if student := scenario("notice_served"):
        case = d.open(student, days_ago=25, scenario="notice_served", reasons=[Case.Reason.WORK],
                      whereabouts="随亲戚在郑州打工", actor=teacher, dropout_date=d.day(26))
        d.visit(case, days_ago=23, findings="学生已随表哥去郑州餐馆打工，母亲联系后表示尽量劝回。",
                attitude=V.Attitude.HESITANT, people="母亲", mode=V.Mode.WECHAT)
        d.visit(case, days_ago=10, findings="学生仍未返回，母亲称劝说无果。", attitude=V.Attitude.HESITANT, people="母亲")
        services.case_escalate(case=case, actor=d.who("case.escalate", case), reason="劝返两次无效", now=_at(d.day(9)))
        services.case_transition(case=case, to_status=S.NOTICE_SERVED, actor=principal,
                                 reason="已向监护人送达《劝返复学通知书》", now=_at(d.day(3)))
        d.done("通知已送达", case)

    # 5. 上报管理区: on the 办事处's list (制约措施).
    if student := scenario("reported"):
        case = d.open(student, days_ago=40, scenario="reported", reasons=[Case.Reason.WORK, Case.Reason.PARENT_NEGLECT],
                      whereabouts="随父亲在广东东莞务工地", actor=teacher, dropout_date=d.day(42))
        for n, (days_ago, text, attitude) in enumerate([
                (38, "父亲电话中表示孩子在工地帮忙，暂不回来。", V.Attitude.OPPOSED),
                (30, "再次电话沟通，父亲挂断电话。", V.Attitude.UNREACHABLE),
                (22, "村干部陪同入户，祖父同意劝说父亲。", V.Attitude.HESITANT)]):
            d.visit(case, days_ago=days_ago, findings=text, attitude=attitude, people="父亲" if n < 2 else "祖父",
                    mode=V.Mode.PHONE if n < 2 else V.Mode.HOME, risk=V.Risk.HIGH)
        services.case_escalate(case=case, actor=d.who("case.escalate", case), reason="家长拒不送学", now=_at(d.day(21)))
        services.case_transition(case=case, to_status=S.NOTICE_SERVED, actor=principal,
                                 reason="已送达《劝返复学通知书》", now=_at(d.day(14)))
        services.case_transition(case=case, to_status=S.REPORTED, actor=None,
                                 reason="通知书送达后七日内未送学生复学，上报管理区采取制约措施", now=_at(d.day(6), 1))
        d.done("上报管理区（办事处）", case)

    # 6. 已复学: returned, placement chosen.
    if student := scenario("returned"):
        case = d.open(student, days_ago=20, scenario="returned", reasons=[Case.Reason.ILLNESS], actor=teacher)
        d.visit(case, days_ago=18, findings="学生肺炎住院后在家休养，已基本康复。", attitude=V.Attitude.SUPPORTIVE)
        services.case_record_return(case=case, actor=d.school("case.record_return", case), return_date=d.day(2),
                                    placement=Case.Placement.ORIGINAL,
                                    now=_at(d.day(2)))
        d.done("已复学", case)

    # 7. 保学跟踪: 结对帮扶, one follow-up missed.
    if student := scenario("retention"):
        case = d.open(student, days_ago=75, scenario="retention", reasons=[Case.Reason.STUDY, Case.Reason.POVERTY],
                      actor=head)
        d.visit(case, days_ago=72, findings="家庭困难，学生自卑厌学。", attitude=V.Attitude.HESITANT, risk=V.Risk.MEDIUM)
        services.case_record_return(case=case, actor=d.school("case.record_return", case), return_date=d.day(60),
                                    placement=Case.Placement.ORIGINAL,
                                    now=_at(d.day(60)))
        services.case_start_retention(case=case, actor=d.school("case.retention", case), mentor=teacher,
                                      now=_at(d.day(59)))
        services.assistance_record(student=case.student, actor=principal, kind="fee_waiver", date=d.day(58),
                                   amount=300, source="学校减免", note="减免课后服务费", now=_at(d.day(58)))
        for followup in FollowUp.objects.filter(case=case, due_date__lte=d.day(5)).order_by("due_date")[1:]:
            services.followup_complete(followup=followup, actor=d.who("case.followup", case), done_on=followup.due_date,
                                       note="谈心，学生情绪稳定，作业能按时完成。", now=_at(followup.due_date, 17))
        d.done("保学跟踪", case)

    # 8. 销号: evidence and a 教育办 reviewer.
    if student := scenario("closed"):
        return_date = d.day(150)
        while retention_minimum_end(return_date) >= d.today:
            return_date -= datetime.timedelta(days=30)
        case = d.open(student, days_ago=(d.today - return_date).days + 20, scenario="closed",
                      reasons=[Case.Reason.POVERTY], actor=head)
        services.assistance_record(student=case.student, actor=principal, kind="two_free_one",
                                   date=return_date, amount=625, source="义务教育家庭经济困难学生生活补助",
                                   now=_at(return_date))
        services.case_record_return(case=case, actor=d.school("case.record_return", case), return_date=return_date,
                                    placement=Case.Placement.INSERTED, now=_at(return_date))
        services.case_start_retention(case=case, actor=d.school("case.retention", case), mentor=teacher,
                                      now=_at(return_date, 11))
        for followup in FollowUp.objects.filter(case=case).order_by("due_date"):
            services.followup_complete(followup=followup, actor=d.who("case.followup", case), done_on=followup.due_date,
                                       note="跟踪正常。", now=_at(followup.due_date, 17))
        school_days = WorkCalendar.load().school_days_between(return_date - datetime.timedelta(days=1), d.day(1))
        closure = services.case_closure_request(
            case=case, actor=d.school("case.request_close", case), attended_days=max(school_days - 2, 0),
            now=_at(d.day(1), 9),
            evidence_note="复学后一学期以上在校，出勤正常（请假 2 天），已享受两免一补。")
        services.case_closure_review(closure=closure, actor=office, approve=True, comment="证据齐全，同意销号",
                                     now=_at(d.day(1), 15))
        d.done("销号", case)

    # 9. 缓学中: deferral filed by 教育办, ends soon (reminder 10 school days before).
    if student := scenario("paused", "huwa"):
        case = d.open(student, days_ago=120, scenario="paused", reasons=[Case.Reason.ILLNESS], actor=principal,
                      note="白血病治疗中，医院建议休养。")
        _exemption(d, case, kind=Exemption.Kind.DEFERRAL, start=d.day(110), end=d.today + datetime.timedelta(days=12),
                   steps=3, reason="学生患急性白血病，正在化疗，医院建议暂缓就学。")
        d.done("缓学中", case)

    # 10. 免学申请 in progress (waiting for the 办事处) and a 送教上门 plan with sessions.
    if student := scenario("exemption_pending", "huwa"):
        case = d.open(student, days_ago=80, scenario="exemption_pending", reasons=[Case.Reason.DISABILITY],
                      actor=principal, note="重度脑瘫，行动不便，无法到校。")
        _exemption(d, case, kind=Exemption.Kind.EXEMPTION, start=d.day(5),
                   end=d.day(5) + datetime.timedelta(days=365), steps=1,
                   reason="学生重度脑瘫，无法到校就读，家长申请免学并接受送教上门。")
        _plan(d, student)
        d.done("免学申请审批中、送教上门", case)

    # 11. 转学已确认.
    if student := scenario("transfer", "a5"):
        case = d.open(student, days_ago=35, scenario="transfer", reasons=[Case.Reason.WITH_PARENTS],
                      whereabouts="随父母到苏州", actor=principal)
        services.case_transition(case=case, to_status=S.CLOSED_TRANSFER, actor=principal,
                                 reason="苏州市吴中区某小学出具接收证明，学籍已转出", now=_at(d.day(25)))
        d.done("转学已确认", case)

    # 12. At 教育办 (escalated from the school), deadline running.
    if student := scenario("office", "a5"):
        case = d.open(student, days_ago=16, scenario="office", reasons=[Case.Reason.EARLY_MARRIAGE, Case.Reason.OTHER],
                      actor=principal, note="疑似早婚苗头，需要多部门协作。")
        while case.stage != Case.Stage.OFFICE:
            services.case_escalate(case=case, actor=principal, reason="涉及早婚早育，需要教育办协调",
                                   now=_at(d.day(3)))
        d.done("上报教育办", case)

    # 13. School B: a case of the neighbour school (scope demo).
    if student := scenario("school_b", "b"):
        case = d.open(student, days_ago=8, scenario="school_b", reasons=[Case.Reason.DISTANCE],
                      actor=users["demo_principal2"], note="家距学校 6 公里，冬季上学困难。")
        d.visit(case, days_ago=6, findings="家长希望安排校车或寄宿。", attitude=V.Attitude.SUPPORTIVE,
                actor=users["demo_teacher2"])
        d.done("胡洼小学个案", case)

    # 14. 大家访 (no case) with assistance records. Idempotent through the visits' deterministic keys.
    for n, student in enumerate(d.pools["a3"][:2]):
        d.visit(student, days_ago=130 + n, people="父亲、学生本人", actor=head, mode=V.Mode.HOME,
                findings="暑期大家访：学生在家帮忙农活，暑假作业完成较好，家长支持上学。", attitude=V.Attitude.SUPPORTIVE)
        if not AssistanceRecord.objects.filter(student=student, kind="nutrition").exists():
            services.assistance_record(student=student, actor=principal, kind="nutrition", date=d.day(30),
                                       amount=200, source="农村义务教育学生营养改善计划", now=_at(d.day(30)))

    stdout.write("个案：" + ("、".join(d.made) if d.made else "已存在，未重复创建"))


def _plan(d, student):
    """送教上门 一人一案 with two sessions a week since the plan started; one in four planned sessions missed."""
    if TeachingPlan.objects.filter(student=student).exists():
        return
    start = d.day(70)
    teacher, head = d.u["demo_teacher"], d.u["demo_headteacher"]
    plan = services.plan_create(
        student=student, actor=d.u["demo_principal"], disability="脑瘫（肢体一级），持残疾证",
        goals="1. 生活自理：独立进食、穿衣；2. 语文：认读 100 个常用字；3. 数学：10 以内加减法；4. 康复训练。",
        schedule_days=[1, 3], schedule_note="周二、周四下午 14:30—16:00 到家中", session_minutes=90,
        teachers=[teacher, head], start_date=start, end_date=start + datetime.timedelta(days=300), now=_at(start, 8))
    calendar = WorkCalendar.load()
    actor = d.who("homeschool.log", plan)
    day, n = start, 0
    while day < d.today:
        if day.weekday() in (1, 3) and calendar.is_school_day(day):
            if n % 4 != 3:
                services.session_log(plan=plan, actor=actor, date=day, duration_minutes=90,
                                     teacher=teacher if n % 2 else head,
                                     content="认读生字“山、水、田”；手指精细动作训练；康复操 20 分钟。",
                                     idempotency_key=uuid.uuid5(NS, f"session:{plan.pk}:{day}"),
                                     photos=[_photo((60, 140, 80))] if n == 0 else [], now=_at(day, 17))
            n += 1
        day += datetime.timedelta(days=1)
    d.out.write(f"送教上门：{student.name} 方案及 {plan.sessions.count()} 次送教记录")


def _exemption(d, case, *, kind, start, end, steps, reason):
    student = case.student
    if Exemption.objects.filter(student=student).exists():
        return
    applied = d.day(max((d.today - start).days, 1))
    exemption = services.exemption_apply(
        student=student, case=case, actor=d.u["demo_principal"], kind=kind, reason=reason,
        guardian_name=f"{student.name[0]}某（父亲）", application_file=_pdf("application"),
        assessment_kind=Exemption.AssessmentKind.HOSPITAL if kind == Exemption.Kind.DEFERRAL
        else Exemption.AssessmentKind.DISABILITY,
        assessment_file=_pdf("assessment"), start_date=start, end_date=end, now=_at(applied, 9))
    approvers = [("demo_village", "情况属实，同意。"), ("demo_subdistrict", "同意，报教育办备案。"), ("demo_office", "已备案。")]
    for n, (username, comment) in enumerate(approvers[:steps]):
        user = d.u[username]
        if not access.can(user, ["exemption.approve_village", "exemption.approve_subdistrict",
                                 "exemption.file"][n], exemption):
            return
        services.exemption_decide(exemption=exemption, actor=user, approve=True, comment=comment,
                                  now=_at(applied + datetime.timedelta(days=n + 1), 10))
