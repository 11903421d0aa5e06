"""Discovery pages: scope matrix for every URL, roll-call and 报到 on one POST, bad input, list query counts."""
from datetime import date

import pytest
from django.urls import reverse

from kongchuo.models import Job, SchoolYear
from students.discovery import absences, term as term_services
from students.models import Absence, AbsenceEpisode, NonReturnEntry, RollCall, Student, TermArrival
from tests import factories as f

TODAY = date(2026, 11, 6)  # a Friday in term 1 of 2026-2027
MON = date(2026, 11, 2)
CLASSES = {"a31": "class_a31", "a32": "class_a32", "a41": "class_a41", "b31": "class_b31", "c31": "class_c31",
           "d31": "class_d31"}
STUDENTS = ("a1", "a2", "a3", "a4", "b1", "c1", "d1")


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args, **kwargs: TODAY)


@pytest.fixture
def term(world):
    last_year = SchoolYear.objects.create(name="2025-2026", start_date=date(2025, 9, 1), end_date=date(2026, 8, 31))
    f.TermFactory(school_year=last_year, number=2, start_date=date(2026, 3, 2), end_date=date(2026, 7, 3))
    return f.TermFactory(school_year=world.year)


def classes(world):
    return {key: getattr(world, attr) for key, attr in CLASSES.items()}


# ------------------------------------------------------------------ scope matrices (own visible, neighbour 404)
ROSTER_ACTORS = {"head_a": {"a31"}, "principal_a": {"a31", "a32", "a41"}, "principal_b": {"b31"},
                 "teacher_a": set(), "teacher_b": set(), "village": set(), "sysadmin": set(), "nobody": set()}


def test_rollcall_class_scope_matrix(world, term, scope_matrix):
    scope_matrix(world, url_for=lambda c: reverse("students:discovery_rollcall_class", args=[c.pk]),
                 objects=classes(world), expected=ROSTER_ACTORS)


def test_arrival_class_scope_matrix(world, term, scope_matrix):
    scope_matrix(world, url_for=lambda c: reverse("students:discovery_arrival_class", args=[c.pk]),
                 objects=classes(world), expected=ROSTER_ACTORS)


@pytest.mark.parametrize("url_name", ["students:discovery_rollcall_class", "students:discovery_arrival_class"])
@pytest.mark.parametrize("username,keys", [
    ("gradelead_a", ("a31", "a32")), ("office", ("a31", "b31", "c31")), ("leader", ("a41", "c31")),
    ("subdistrict", ("a31", "b31")),
])
def test_roster_visible_but_not_actor_is_403(client, world, term, url_name, username, keys):
    client.force_login(getattr(world, username))
    for key in keys:
        assert client.get(reverse(url_name, args=[classes(world)[key].pk])).status_code == 403
    assert client.get(reverse(url_name, args=[world.class_d31.pk])).status_code == 404


def test_absence_entry_scope_matrix(world, term, scope_matrix):
    scope_matrix(world, url_for=lambda s: reverse("students:discovery_absence_entry", args=[s.pk]),
                 objects={k: getattr(world, k) for k in STUDENTS},
                 expected={"head_a": {"a1", "a2"}, "principal_a": {"a1", "a2", "a3", "a4"}, "principal_b": {"b1"},
                           "sysadmin": set(), "nobody": set()})


@pytest.mark.parametrize("username,key", [("teacher_a", "a1"), ("gradelead_a", "a3"), ("office", "c1"),
                                          ("village", "b1"), ("teacher_b", "b1")])
def test_absence_entry_visible_student_without_right_is_403(client, world, term, username, key):
    client.force_login(getattr(world, username))
    response = client.get(reverse("students:discovery_absence_entry", args=[getattr(world, key).pk]))
    assert response.status_code == 403


@pytest.fixture
def entries(world, term):
    return {k: NonReturnEntry.objects.create(term=term, student=getattr(world, k), school=getattr(world, k).school)
            for k in ("a1", "b1", "c1", "d1")}


def test_nonreturn_edit_scope_matrix(world, entries, scope_matrix):
    area = {"a1", "b1", "c1"}
    scope_matrix(world, url_for=lambda e: reverse("students:discovery_nonreturn_edit", args=[e.pk]), objects=entries,
                 expected={"teacher_a": {"a1"}, "head_a": {"a1"}, "gradelead_a": {"a1"}, "principal_a": {"a1"},
                           "principal_b": {"b1"}, "teacher_b": {"b1"}, "office": area, "leader": area,
                           "subdistrict": {"a1", "b1"}, "village": {"a1", "b1"}, "sysadmin": set(), "nobody": set()})


def test_nonreturn_entry_stays_visible_to_recording_school_after_student_left(client, world, entries):
    Student.objects.filter(pk=world.a1.pk).update(school=None, grade=None, school_class=None,
                                                  status=Student.Status.DROPPED_OUT)
    client.force_login(world.principal_a)
    assert client.get(reverse("students:discovery_nonreturn_edit", args=[entries["a1"].pk])).status_code == 200
    client.force_login(world.head_a)
    assert client.get(reverse("students:discovery_nonreturn_edit", args=[entries["a1"].pk])).status_code == 404


def test_term_check_scope_matrix(world, term, scope_matrix):
    schools = {"A": world.school_a, "B": world.school_b, "C": world.school_c, "D": world.school_d}
    scope_matrix(world, url_for=lambda s: reverse("students:discovery_term_check", args=[s.pk]), objects=schools,
                 expected={"principal_a": {"A"}, "principal_b": {"B"}, "village": set(), "nobody": set()})


@pytest.mark.parametrize("username", ["head_a", "teacher_a", "office", "sysadmin"])
def test_term_check_visible_school_without_right_is_403(client, world, term, username):
    client.force_login(getattr(world, username))
    assert client.get(reverse("students:discovery_term_check", args=[world.school_a.pk])).status_code == 403


def test_absence_delete_neighbour_is_404_and_own_works(client, world, term):
    mine = Absence.objects.create(student=world.a1, date=MON, reason="sick", recorded_by=world.head_a)
    theirs = Absence.objects.create(student=world.b1, date=MON, reason="sick", recorded_by=world.principal_b)
    client.force_login(world.head_a)
    assert client.post(reverse("students:discovery_absence_delete", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("students:discovery_absence_delete", args=[mine.pk])).status_code == 405
    response = client.post(reverse("students:discovery_absence_delete", args=[mine.pk]))
    assert response.status_code == 302 and not Absence.objects.filter(pk=mine.pk).exists()
    assert Absence.objects.filter(pk=theirs.pk).exists()


@pytest.mark.parametrize("url_name,allowed", [
    ("students:discovery_rollcall", {"head_a", "principal_a", "principal_b"}),
    ("students:discovery_arrival", {"head_a", "principal_a", "principal_b"}),
    ("students:discovery_term_check_index", {"principal_a", "principal_b"}),
    ("students:discovery_alerts", {"teacher_a", "head_a", "gradelead_a", "principal_a", "principal_b", "teacher_b",
                                   "office", "leader", "subdistrict", "village"}),
    ("students:discovery_nonreturns", {"teacher_a", "head_a", "gradelead_a", "principal_a", "principal_b",
                                       "teacher_b", "office", "leader", "subdistrict", "village"}),
    ("students:discovery_ledgers", {"teacher_a", "head_a", "gradelead_a", "principal_a", "principal_b", "teacher_b",
                                    "office", "leader", "subdistrict", "village"}),
])
def test_list_pages_answer_by_action(client, world, term, url_name, allowed):
    for username in ("teacher_a", "head_a", "gradelead_a", "principal_a", "principal_b", "teacher_b", "office",
                     "leader", "subdistrict", "village", "sysadmin", "nobody"):
        client.force_login(getattr(world, username))
        status = client.get(reverse(url_name)).status_code
        assert (status in (200, 302)) == (username in allowed), (username, status)
        if username not in allowed:
            assert status == 403, (username, status)


def test_anonymous_is_sent_to_login(client, world, term):
    response = client.get(reverse("students:discovery_rollcall_class", args=[world.class_a31.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# ------------------------------------------------------------------ roll-call page
def test_rollcall_index_redirects_head_teacher_to_own_class(client, world, term):
    client.force_login(world.head_a)
    response = client.get(reverse("students:discovery_rollcall"))
    assert response["Location"] == reverse("students:discovery_rollcall_class", args=[world.class_a31.pk])


def test_rollcall_index_lists_school_classes_for_principal(client, world, term):
    client.force_login(world.principal_a)
    body = client.get(reverse("students:discovery_rollcall")).content.decode()
    assert body.count("list-group-item-action") == 3 and "三年级2班" in body and "胡洼" not in body


def test_rollcall_page_defaults_everyone_present(client, world, term):
    client.force_login(world.head_a)
    response = client.get(reverse("students:discovery_rollcall_class", args=[world.class_a31.pk]))
    body = response.content.decode()
    assert response.status_code == 200 and "张保杰" in body and "李明" in body and "王芳" not in body
    assert [r.mark for r in response.context["rows"]] == ["", ""]
    assert f'name="mark_{world.a1.pk}" id="m{world.a1.pk}_1" value="" autocomplete="off" checked' in body


def test_rollcall_post_saves_and_resubmit_updates(client, world, term):
    client.force_login(world.head_a)
    url = reverse("students:discovery_rollcall_class", args=[world.class_a31.pk])
    response = client.post(url, {"date": "2026-11-05", f"mark_{world.a1.pk}": "unexcused", f"mark_{world.a2.pk}": ""})
    assert response.status_code == 302 and response["Location"].endswith("?date=2026-11-05")
    client.post(url, {"date": "2026-11-05", f"mark_{world.a1.pk}": "sick", f"mark_{world.a2.pk}": "personal"})
    assert RollCall.objects.count() == 1 and Absence.objects.count() == 2
    assert dict(Absence.objects.values_list("student_id", "reason")) == {world.a1.pk: "sick", world.a2.pk: "personal"}
    body = client.get(url + "?date=2026-11-05").content.decode()
    assert "已点名" in body and "已保存11月5日点名：到校 0 人，缺勤 2 人。" in body


def test_rollcall_post_crossing_threshold_shows_warning(client, world, term):
    for day in (MON, date(2026, 11, 3)):
        absences.rollcall_save(school_class=world.class_a31, day=day, marks={world.a1.pk: "unexcused"},
                               actor=world.head_a, today=TODAY)
    client.force_login(world.head_a)
    url = reverse("students:discovery_rollcall_class", args=[world.class_a31.pk])
    response = client.post(url, {"date": "2026-11-04", f"mark_{world.a1.pk}": "unexcused"}, follow=True)
    body = response.content.decode()
    assert "张保杰" in body and "连续无故缺勤 3 个上课日" in body and "缺勤预警" in body


def test_rollcall_carries_running_streak_into_next_day(client, world, term):
    absences.rollcall_save(school_class=world.class_a31, day=MON, marks={world.a1.pk: "unexcused"},
                           actor=world.head_a, today=TODAY)
    client.force_login(world.head_a)
    response = client.get(reverse("students:discovery_rollcall_class", args=[world.class_a31.pk]) + "?date=2026-11-03")
    rows = {r.student.pk: r for r in response.context["rows"]}
    assert rows[world.a1.pk].mark == "unexcused" and rows[world.a1.pk].carried
    assert rows[world.a2.pk].mark == "" and "已预先标为“无故”" in response.content.decode()


@pytest.mark.parametrize("data,message", [
    ({"date": "2026-11-07"}, "不是上课日"),
    ({"date": "2026-11-09"}, "不能晚于今天"),
    ({"date": "11月的某天"}, "请输入有效的日期"),
    ({"date": "2026-11-05", "mark_A": "sick"}, None),
])
def test_rollcall_bad_input_is_400_in_chinese_and_keeps_marks(client, world, term, data, message):
    client.force_login(world.head_a)
    url = reverse("students:discovery_rollcall_class", args=[world.class_a31.pk])
    response = client.post(url, {**data, f"mark_{world.a1.pk}": "personal"})
    if message is None:  # a garbled key is ignored, the valid marks are saved
        assert response.status_code == 302 and Absence.objects.get().reason == "personal"
        return
    assert response.status_code == 400 and message in response.content.decode()
    assert not Absence.objects.exists() and not RollCall.objects.exists()
    if response.context["rows"]:
        assert {r.student.pk: r.mark for r in response.context["rows"]}[world.a1.pk] == "personal"


def test_rollcall_mark_for_other_class_student_is_refused(client, world, term):
    client.force_login(world.principal_a)
    url = reverse("students:discovery_rollcall_class", args=[world.class_a31.pk])
    response = client.post(url, {"date": "2026-11-05", f"mark_{world.a3.pk}": "unexcused"})
    assert response.status_code == 400 and "不在本班" in response.content.decode()
    assert not Absence.objects.exists()


def test_rollcall_non_school_day_get_shows_notice(client, world, term):
    client.force_login(world.head_a)
    body = client.get(reverse("students:discovery_rollcall_class", args=[world.class_a31.pk]) + "?date=2026-11-07"
                      ).content.decode()
    assert "不是上课日" in body and 'id="rollcall-form"' not in body


# ------------------------------------------------------------------ per-student entry page
def test_absence_entry_post_records_range(client, world, term):
    client.force_login(world.principal_a)
    url = reverse("students:discovery_absence_entry", args=[world.a3.pk])
    response = client.post(url, {"start": "2026-11-02", "end": "2026-11-06", "reason": "sick", "note": "住院"})
    assert response.status_code == 302
    assert Absence.objects.filter(student=world.a3, reason="sick", source="entry").count() == 5
    body = client.get(url).content.decode()
    assert "已登记 王芳 5 个上课日的病假。" in body and "住院" in body


@pytest.mark.parametrize("data,message", [
    ({"start": "", "reason": "sick"}, "请填写开始日期"),
    ({"start": "2026-11-05", "end": "2026-11-02", "reason": "sick"}, "结束日期不能早于开始日期"),
    ({"start": "2026-11-05", "reason": "late"}, "请选择缺勤原因"),
    ({"start": "2026-11-05", "end": "2026-11-20", "reason": "unexcused"}, "无故缺勤只能登记今天及以前的日期"),
    ({"start": "2026-13-05", "reason": "sick"}, "请输入有效的日期"),
    ({"start": "2026-11-07", "end": "2026-11-08", "reason": "sick"}, "没有上课日"),
])
def test_absence_entry_bad_input_names_field(client, world, term, data, message):
    client.force_login(world.head_a)
    response = client.post(reverse("students:discovery_absence_entry", args=[world.a1.pk]), data)
    assert response.status_code == 400 and message in response.content.decode()
    assert not Absence.objects.exists()


# ------------------------------------------------------------------ 报到 and the term check
def test_arrival_post_marks_unticked_as_missing(client, world, term):
    client.force_login(world.head_a)
    url = reverse("students:discovery_arrival_class", args=[world.class_a31.pk])
    body = client.get(url).content.decode()
    assert body.count('name="arrived"') == 2 and body.count(" checked") == 2  # default: everyone reported
    response = client.post(url, {"term": term.pk, "arrived": [world.a1.pk]})
    assert response.status_code == 302
    assert dict(TermArrival.objects.values_list("student_id", "arrived")) == {world.a1.pk: True, world.a2.pk: False}
    assert "未报到" in client.get(url).content.decode()


def test_arrival_post_with_garbage_is_400(client, world, term):
    client.force_login(world.head_a)
    url = reverse("students:discovery_arrival_class", args=[world.class_a31.pk])
    response = client.post(url, {"term": term.pk, "arrived": ["x"]})
    assert response.status_code == 400 and "提交的数据有误" in response.content.decode()
    response = client.post(url, {"term": term.pk, "arrived": [world.b1.pk]})
    assert response.status_code == 400 and "不在本班" in response.content.decode()
    assert not TermArrival.objects.exists()


def test_term_check_button_creates_entries_once(client, world, term):
    term_services.term_arrival_save(term=term, school_class=world.class_a31, arrived_ids=[world.a1.pk],
                                    actor=world.head_a, today=TODAY)
    client.force_login(world.principal_a)
    url = reverse("students:discovery_term_check", args=[world.school_a.pk])
    assert "开始比对" in client.get(url).content.decode()
    response = client.post(url, {"term": term.pk})
    # the check runs as a job; its page, once done, goes back to the school's page with the result
    job = Job.objects.get(kind="students.term_check")
    assert response.status_code == 302 and response.url == reverse("jobs:detail", args=[job.pk])
    response = client.get(response.url, follow=True)
    body = response.content.decode()
    assert response.status_code == 200 and "新增未返校 1 人" in body and "李明" in body
    assert "尚未确认报到" in body
    client.post(url, {"term": term.pk})
    assert NonReturnEntry.objects.count() == 1


def test_term_check_bad_term_is_400(client, world, term):
    client.force_login(world.principal_a)
    response = client.post(reverse("students:discovery_term_check", args=[world.school_a.pk]), {"term": "999999"})
    assert response.status_code == 400 and "请选择有效的学期" in response.content.decode()


def test_term_check_before_term_starts_is_400(client, world, term, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args, **kwargs: date(2026, 8, 20))
    client.force_login(world.principal_a)
    response = client.post(reverse("students:discovery_term_check", args=[world.school_a.pk]), {"term": term.pk})
    assert response.status_code == 400 and "尚未开学" in response.content.decode()


def test_nonreturn_edit_saves_whereabouts_and_return(client, world, entries):
    client.force_login(world.head_a)
    url = reverse("students:discovery_nonreturn_edit", args=[entries["a1"].pk])
    response = client.post(url, {"whereabouts": "other", "whereabouts_detail": "", "note": ""})
    assert response.status_code == 400 and "请填写去向说明" in response.content.decode()
    response = client.post(url, {"whereabouts": "with_parents", "whereabouts_detail": "随父母在广东东莞", "note": ""})
    assert response.status_code == 302
    entries["a1"].refresh_from_db()
    assert (entries["a1"].status, entries["a1"].whereabouts) == ("located", "with_parents")
    response = client.post(url, {"returned": "1", "returned_on": "2026-11-09"})
    assert response.status_code == 400 and "返校日期不能晚于今天" in response.content.decode()
    response = client.post(url, {"returned": "1", "returned_on": "2026-11-05"})
    entries["a1"].refresh_from_db()
    assert response.status_code == 302 and entries["a1"].status == "returned"


def test_nonreturn_edit_read_only_roles_get_403_on_post(client, world, entries):
    client.force_login(world.village)
    url = reverse("students:discovery_nonreturn_edit", args=[entries["a1"].pk])
    assert "保存去向" not in client.get(url).content.decode()
    assert client.post(url, {"whereabouts": "working"}).status_code == 403


def test_nonreturn_list_filters_and_scope(client, world, entries):
    client.force_login(world.office)
    body = client.get(reverse("students:discovery_nonreturns")).content.decode()
    assert "张保杰" in body and "孙悦" in body and "周杰" in body and "吴迪" not in body
    body = client.get(reverse("students:discovery_nonreturns") + f"?school={world.school_b.pk}").content.decode()
    assert "孙悦" in body and "张保杰" not in body
    body = client.get(reverse("students:discovery_nonreturns") + f"?school={world.school_d.pk}").content.decode()
    assert "吴迪" not in body  # a neighbour's school id is ignored, not obeyed
    body = client.get(reverse("students:discovery_nonreturns") + "?q=zbj").content.decode()
    assert "张保杰" in body and "孙悦" not in body


# ------------------------------------------------------------------ ledgers
@pytest.fixture
def ledger_world(world, term):
    AbsenceEpisode.objects.create(student=world.a1, since=MON, last_absent_on=TODAY, days=6, level="suspected")
    AbsenceEpisode.objects.create(student=world.a2, since=MON, last_absent_on=TODAY, days=23, level="dropout")
    Student.objects.filter(pk=world.b1.pk).update(status=Student.Status.DROPPED_OUT)
    NonReturnEntry.objects.create(term=term, student=world.a3, school=world.school_a, whereabouts="working")
    AbsenceEpisode.objects.create(student=world.a4, since=MON, last_absent_on=TODAY, days=3, level="alert")
    AbsenceEpisode.objects.create(student=world.d1, since=MON, last_absent_on=TODAY, days=8, level="suspected")
    return world


def ledger(client, user, **params):
    client.force_login(user)
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return client.get(reverse("students:discovery_ledgers") + "?" + query)


def test_ledger_suspected_lists_streaks_and_non_returns(client, ledger_world):
    w = ledger_world
    response = ledger(client, w.principal_a, book="suspected")
    names = {s.name for s, _, _ in response.context["rows"]}
    assert names == {"张保杰", "王芳"}  # not a2 (辍学 level), not a4 (only 预警), not d1 (neighbour)
    body = response.content.decode()
    assert "连续无故缺勤 6 个上课日" in body and "开学未返校，去向：外出务工" in body


def test_ledger_dropout_lists_status_and_dropout_streaks(client, ledger_world):
    w = ledger_world
    rows = ledger(client, w.office, book="dropout").context["rows"]
    assert {s.name for s, _, _ in rows} == {"李明", "孙悦"}
    assert {s.name for s, _, _ in ledger(client, w.principal_b, book="dropout").context["rows"]} == {"孙悦"}


def test_ledger_filters_by_village_and_school(client, ledger_world):
    w = ledger_world
    rows = ledger(client, w.office, book="dropout", village=w.v1.pk).context["rows"]
    assert {s.name for s, _, _ in rows} == {"孙悦"}
    rows = ledger(client, w.office, book="dropout", school=w.school_a.pk).context["rows"]
    assert {s.name for s, _, _ in rows} == {"李明"}
    rows = ledger(client, w.principal_a, book="suspected", school=w.school_d.pk).context["rows"]
    assert {s.name for s, _, _ in rows} == {"张保杰", "王芳"}  # a school outside scope is ignored


def test_ledger_rows_carry_risk(client, ledger_world):
    rows = ledger(client, ledger_world.principal_a, book="suspected").context["rows"]
    assert all(assessment.level == "high" for _, assessment, _ in rows)


def test_ledger_children_for_village_staff_and_not_for_schools(client, ledger_world):
    from students.models.imports import PopulationEntry, PopulationList

    w = ledger_world
    plist = PopulationList.objects.create(area=w.area, village=w.v1, original_name="胡洼村.xlsx")
    PopulationEntry.objects.create(population_list=plist, village=w.v1, name="赵小花", gender="F",
                                   birth_date=date(2017, 3, 1), candidate_kind="not_enrolled")
    PopulationEntry.objects.create(population_list=plist, village=w.v_other, name="邻村娃",
                                   birth_date=date(2017, 3, 1))
    body = ledger(client, w.village, book="children").content.decode()
    assert "赵小花" in body and "疑似适龄未入学" in body and "邻村娃" not in body
    body = ledger(client, w.principal_a, book="children").content.decode()
    assert "赵小花" not in body and "由村（社区）、办事处和教育办查看" in body


def test_ledger_unknown_book_falls_back(client, ledger_world):
    assert ledger(client, ledger_world.principal_a, book="<script>").context["book"] == "suspected"


def test_ledger_query_count_is_constant(client, world, term, django_assert_max_num_queries, monkeypatch):
    from students import risk

    monkeypatch.setattr(risk, "SIGNALS", [])  # per-student signals of other apps are theirs to keep cheap
    for i in range(40):
        s = f.StudentFactory(school_class=world.class_a32, village=world.v1b)
        AbsenceEpisode.objects.create(student=s, since=MON, last_absent_on=TODAY, days=7, level="suspected")
    client.force_login(world.principal_a)
    with django_assert_max_num_queries(22):
        response = client.get(reverse("students:discovery_ledgers") + "?book=suspected")
    assert len(response.context["rows"]) == 40


def test_nonreturn_list_query_count_is_constant(client, world, term, django_assert_max_num_queries):
    for i in range(40):
        s = f.StudentFactory(school_class=world.class_a32, village=world.v1b)
        NonReturnEntry.objects.create(term=term, student=s, school=world.school_a, school_class=world.class_a32)
    client.force_login(world.principal_a)
    with django_assert_max_num_queries(16):
        response = client.get(reverse("students:discovery_nonreturns"))
    assert response.context["page"].paginator.count == 40


def test_alerts_page_scoped_and_constant_queries(client, world, term, django_assert_max_num_queries):
    AbsenceEpisode.objects.create(student=world.b1, since=MON, last_absent_on=TODAY, days=4, level="alert")
    for i in range(30):
        s = f.StudentFactory(school_class=world.class_a31)
        AbsenceEpisode.objects.create(student=s, since=MON, last_absent_on=TODAY, days=4, level="alert")
    client.force_login(world.head_a)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("students:discovery_alerts"))
    assert response.context["page"].paginator.count == 30
    assert "孙悦" not in response.content.decode()


# ------------------------------------------------------------------ workbench and navigation
def test_workbench_panels_for_head_teacher_and_principal(client, world, term):
    AbsenceEpisode.objects.create(student=world.a1, since=MON, last_absent_on=TODAY, days=3, level="alert")
    client.force_login(world.head_a)
    response = client.get(reverse("workbench"))
    titles = [p["title"] for p in response.context["panels"]]
    assert "今日点名" in titles
    panel = next(p for p in response.context["panels"] if p["title"] == "今日点名")
    assert [c for c, _ in panel["classes"]] == [world.class_a31] and [e.student for e in panel["alerts"]] == [world.a1]
    body = response.content.decode()
    assert reverse("students:discovery_rollcall_class", args=[world.class_a31.pk]) in body
    assert reverse("students:discovery_rollcall") in body  # the 点名 navigation entry
    assert reverse("students:discovery_arrival") in body  # 开学报到 from the panel
    client.force_login(world.principal_a)
    titles = [p["title"] for p in client.get(reverse("workbench")).context["panels"]]
    assert "未返校学生（2026-2027 第一学期）" in titles


def test_workbench_teacher_has_no_rollcall(client, world, term):
    client.force_login(world.teacher_a)
    response = client.get(reverse("workbench"))
    assert "今日点名" not in [p["title"] for p in response.context["panels"]]
    assert reverse("students:discovery_rollcall") not in response.content.decode()
