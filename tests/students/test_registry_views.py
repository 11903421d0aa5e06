"""Registry pages: masking and logged unmasking, forms with Chinese errors, confirmation of warnings, uploads,
status pages, 包保 pages, constant query counts."""
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from kongchuo.models import AccessLog
from students import services
from students.idnumbers import build
from students.models import CareAssignment, FamilyMember, StatusChange, Student, VulnerabilityFlag
from tests import factories as f
from tests.hostile.files import tiny_pdf

PDF = tiny_pdf()  # a real PDF: uploads are parsed


@pytest.fixture
def guardian(world):
    return f.FamilyMemberFactory(student=world.a1, name="张大山", phone="13812345678",
                                 id_number=build("411503", date(1985, 3, 3), 11))


def detail(client, student):
    return client.get(reverse("students:detail", args=[student.pk]))


def test_detail_masks_ids_and_phones(client, world, guardian):
    client.force_login(world.head_a)
    body = detail(client, world.a1).content.decode()
    assert world.a1.id_number not in body and guardian.id_number not in body and "13812345678" not in body
    assert "138****5678" in body and guardian.id_number[:6] + "********" + guardian.id_number[-4:] in body
    assert "显示完整号码" in body


def test_detail_has_no_unmask_button_for_roles_without_right(client, world, guardian):
    client.force_login(world.teacher_a)
    body = detail(client, world.a1).content.decode()
    assert "显示完整号码" not in body and "13812345678" not in body


def test_unmask_requires_purpose_and_logs_then_shows_number(client, world, guardian):
    client.force_login(world.head_a)
    url = reverse("students:unmask", args=[world.a1.pk])
    response = client.post(url, {"target": f"member_phone:{guardian.pk}", "purpose": ""})
    assert response.status_code == 400 and "请选择查看完整号码的用途" in response.content.decode()
    assert not AccessLog.objects.filter(action=AccessLog.Action.VIEW_PHONE).exists()
    response = client.post(url, {"target": f"member_phone:{guardian.pk}", "purpose": "家访联系"})
    assert response.status_code == 200 and "13812345678" in response.content.decode()
    assert guardian.id_number not in response.content.decode()  # only the one number asked for
    log = AccessLog.objects.get(action=AccessLog.Action.VIEW_PHONE)
    assert (log.user, log.purpose, log.object_id) == (world.head_a, "家访联系", str(guardian.pk))
    response = client.post(url, {"target": "student_id", "purpose": "其他", "purpose_detail": "核对学籍"})
    assert world.a1.id_number in response.content.decode()
    assert AccessLog.objects.get(action=AccessLog.Action.VIEW_ID).purpose == "其他：核对学籍"


def test_unmask_refused_for_teacher_and_for_member_of_other_student(client, world, guardian):
    other = f.FamilyMemberFactory(student=world.a2)
    client.force_login(world.teacher_a)
    assert client.post(reverse("students:unmask", args=[world.a1.pk]),
                       {"target": "student_id", "purpose": "家访联系"}).status_code == 403
    client.force_login(world.head_a)
    assert client.post(reverse("students:unmask", args=[world.a1.pk]),
                       {"target": f"member_id:{other.pk}", "purpose": "家访联系"}).status_code == 403
    assert client.get(reverse("students:unmask", args=[world.a1.pk])).status_code == 405
    assert not AccessLog.objects.filter(action__in=["view_id", "view_phone"]).exists()


def test_detail_shows_flags_changes_chain_siblings_and_risk(client, world, guardian):
    sibling_guardian = f.FamilyMemberFactory(student=world.b1, name="张大山", id_number=guardian.id_number)
    services.flag_set(actor=world.head_a, student=world.a1, kind="single_parent", start_date=date(2026, 9, 1),
                      source="school")
    client.force_login(world.principal_a)
    body = detail(client, world.a1).content.decode()
    assert "单亲家庭" in body and "包保责任链" in body and world.teacher_a.display_name in body
    assert "孙*" in body or "孙**" in body  # b1 (school B) shown without details for principal A
    assert "孙悦" not in body and sibling_guardian
    assert "辍学风险" in body


def test_sibling_in_scope_is_linked(client, world, guardian):
    f.FamilyMemberFactory(student=world.a2, name="张大山", id_number=guardian.id_number)
    client.force_login(world.principal_a)
    body = detail(client, world.a1).content.decode()
    assert reverse("students:detail", args=[world.a2.pk]) in body and "李明" in body


def test_detail_query_count_is_constant(client, world, guardian, django_assert_max_num_queries):
    for i in range(5):
        f.FamilyMemberFactory(student=world.a1)
        services.flag_set(actor=world.principal_a, student=world.a1, kind=["orphan", "migrant", "learning",
                          "poverty", "parent_disabled"][i], start_date=date(2026, 9, 1), source="school")
    client.force_login(world.principal_a)
    with django_assert_max_num_queries(40):
        assert detail(client, world.a1).status_code == 200


def _student_post(**kw):
    data = {"name": "单雨桐", "former_name": "", "id_type": "1", "id_number": build("411503", date(2016, 9, 1), 14),
            "gender": "", "birth_date": "", "ethnicity": "汉族", "student_number": "", "hukou_address": "",
            "village": "", "address": "", "phone": ""}
    data.update(kw)
    return data


def test_create_student_form_saves_and_redirects(client, world):
    client.force_login(world.principal_a)
    response = client.post(reverse("students:create"), _student_post(school_class=world.class_a31.pk))
    student = Student.objects.get(name="单雨桐")
    assert response.status_code == 302 and response.url == reverse("students:detail", args=[student.pk])
    assert (student.gender, student.name_initials) == ("F", "syt")


def test_create_student_form_shows_mismatch_warning_then_saves_when_confirmed(client, world):
    client.force_login(world.principal_a)
    data = _student_post(school_class=world.class_a31.pk, gender="M", birth_date="2016-09-01")
    response = client.post(reverse("students:create"), data)
    body = response.content.decode()
    assert response.status_code == 400 and "身份证号显示性别为女，填写的性别为男" in body and "已核对，按填写内容保存" in body
    assert not Student.objects.filter(name="单雨桐").exists()
    response = client.post(reverse("students:create"), {**data, "confirm_mismatch": "on"})
    assert response.status_code == 302 and Student.objects.get(name="单雨桐").gender == "M"


@pytest.mark.parametrize("kw,message", [
    ({"id_number": "41150320160901014X"}, "校验码错误"),
    ({"birth_date": "2016-13-01", "id_number": ""}, "出生日期格式不正确，请按 2026-09-01 的格式填写"),
    ({"name": ""}, "请填写姓名。"),
    ({"ethnicity": "火星族"}, "民族：所选项不在可选范围内"),
    ({"student_number": "Q123"}, "学籍号应以 G、J 或 L 开头"),
    ({"phone": "110"}, "联系电话“110”格式不正确"),
])
def test_create_student_form_bad_input_shows_chinese_message(client, world, kw, message):
    client.force_login(world.principal_a)
    response = client.post(reverse("students:create"), _student_post(school_class=world.class_a31.pk, **kw))
    assert response.status_code == 400 and message in response.content.decode()
    assert not Student.objects.filter(name="单雨桐").exists()


def test_create_student_form_refuses_class_of_other_school(client, world):
    client.force_login(world.principal_a)
    response = client.post(reverse("students:create"), _student_post(school_class=world.class_b31.pk))
    assert response.status_code == 400 and not Student.objects.filter(name="单雨桐").exists()


def test_edit_form_shows_numbers_masked_and_keeps_them_when_untouched(client, world):
    world.a1.phone = "13912345678"
    world.a1.save()
    client.force_login(world.head_a)
    url = reverse("students:edit", args=[world.a1.pk])
    form = client.get(url).context["form"]
    assert world.a1.id_number not in client.get(url).content.decode()
    data = {name: form.initial.get(name) or "" for name in form.fields}
    data.update(school_class=world.class_a31.pk, village=world.v1.pk, address="胡洼村8号", confirm_mismatch="on")
    response = client.post(url, data)
    assert response.status_code == 302
    world.a1.refresh_from_db()
    assert world.a1.address == "胡洼村8号" and world.a1.phone == "13912345678"
    assert world.a1.id_number.startswith("411503") and "*" not in world.a1.id_number


def test_family_add_form_converts_15_digit_id_and_flashes_note(client, world):
    client.force_login(world.head_a)
    response = client.post(reverse("students:family_add", args=[world.a1.pk]), {
        "name": "张大山", "relation": "父亲", "is_guardian": "on", "phone": "13812345678", "id_type": "1",
        "id_number": "110105491231002"}, follow=True)
    assert "已转换为 18 位" in response.content.decode()
    assert FamilyMember.objects.get(student=world.a1).id_number == "11010519491231002X"


def test_family_add_form_rejects_bad_id_with_reason(client, world):
    client.force_login(world.head_a)
    response = client.post(reverse("students:family_add", args=[world.a1.pk]), {
        "name": "张大山", "relation": "父亲", "id_type": "1", "id_number": "110105194912310021"})
    assert response.status_code == 400 and "校验码错误：最后一位应为 X" in response.content.decode()


def test_flag_add_and_end_through_pages(client, world):
    client.force_login(world.head_a)
    response = client.post(reverse("students:flag_add", args=[world.a1.pk]), {
        "kind": "left_behind_both", "start_date": "2026-09-01", "source": "village", "source_detail": "村摸排表"})
    assert response.status_code == 302
    flag = VulnerabilityFlag.objects.get(student=world.a1)
    response = client.post(reverse("students:flag_end", args=[world.a1.pk, flag.pk]),
                           {"end_date": timezone.localdate().isoformat(), "reason": ""})
    assert response.status_code == 400 and "请填写解除原因。" in response.content.decode()
    client.post(reverse("students:flag_end", args=[world.a1.pk, flag.pk]),
                {"end_date": timezone.localdate().isoformat(), "reason": "父母返乡"})
    flag.refresh_from_db()
    assert flag.end_date == timezone.localdate()


def test_status_change_page_uploads_proof_and_refuses_bad_file(client, world):
    client.force_login(world.principal_a)
    url = reverse("students:status_change", args=[world.a1.pk])
    data = {"kind": "suspend", "date": (timezone.localdate() - timedelta(days=3)).isoformat(), "reason": "住院",
            "expected_return_date": (timezone.localdate() + timedelta(days=60)).isoformat()}
    bad = SimpleUploadedFile("证明.exe", b"MZ\x90", content_type="application/octet-stream")
    response = client.post(url, {**data, "documents": [bad]})
    assert response.status_code == 400 and "证明材料“证明.exe”的类型不支持" in response.content.decode()
    big = SimpleUploadedFile("大.pdf", b"%PDF-" + b"0" * (20 * 1024 * 1024), content_type="application/pdf")
    response = client.post(url, {**data, "documents": [big]})
    assert response.status_code == 400 and "超过 10 MB 上限" in response.content.decode()
    assert not StatusChange.objects.exists()
    response = client.post(url, {**data, "documents": [SimpleUploadedFile("证明.pdf", PDF)]})
    assert response.status_code == 302
    assert Student.objects.get(pk=world.a1.pk).status == Student.Status.SUSPENDED


def test_document_download_is_scoped_logged_and_not_for_teachers(client, world):
    change = services.status_change_record(
        actor=world.principal_a, student=world.a1, kind="suspend", date=timezone.localdate(), reason="住院",
        expected_return_date=timezone.localdate() + timedelta(days=30),
        documents=[SimpleUploadedFile("证明.pdf", PDF)])
    doc = change.documents.get()
    url = reverse("students:document", args=[doc.pk])
    client.force_login(world.principal_a)
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert AccessLog.objects.filter(action=AccessLog.Action.EXPORT, object_id=str(doc.pk)).exists()
    client.force_login(world.teacher_a)
    assert client.get(url).status_code == 403
    client.force_login(world.principal_b)
    assert client.get(url).status_code == 404


def test_transfer_confirm_page(client, world):
    change = services.status_change_record(actor=world.principal_a, student=world.a1, kind="transfer_out",
                                           date=timezone.localdate() - timedelta(days=3), reason="随父母外出")
    client.force_login(world.principal_a)
    body = detail(client, world.a1).content.decode()
    assert "接收学校尚未确认" in body and "确认接收" in body
    response = client.post(reverse("students:transfer_confirm", args=[world.a1.pk, change.pk]), {
        "receiving_school": world.school_c.pk, "receiving_school_name": "", "received_date":
        timezone.localdate().isoformat(), "note": ""})
    assert response.status_code == 302
    assert Student.objects.get(pk=world.a1.pk).status == Student.Status.TRANSFERRED


def test_transfer_in_page_creates_student(client, world):
    client.force_login(world.principal_b)
    response = client.post(reverse("students:transfer_in"), {
        **_student_post(school_class=world.class_b31.pk), "date": timezone.localdate().isoformat(),
        "reason": "外省转入", "from_school_name": "东莞市某小学"})
    assert response.status_code == 302
    assert Student.objects.get(name="单雨桐").school == world.school_b


def test_care_assign_page_and_bulk_page(client, world):
    client.force_login(world.principal_a)
    response = client.post(reverse("students:care_assign", args=[world.a2.pk]), {"teacher": world.teacher_a.pk})
    assert response.status_code == 302 and CareAssignment.objects.filter(student=world.a2, is_active=True).exists()
    url = reverse("students:care_bulk")
    page = client.get(url, {"school": world.school_a.pk})
    body = page.content.decode()
    assert page.status_code == 200 and f'value="{world.a3.pk}"' in body and f'value="{world.a2.pk}"' not in body
    response = client.post(url, {"school": world.school_a.pk, "teacher": world.teacher_a.pk,
                                 "students": [world.a3.pk, world.a4.pk]})
    assert response.status_code == 302
    assert set(CareAssignment.objects.filter(teacher=world.teacher_a, is_active=True)
               .values_list("student__name", flat=True)) == {"张保杰", "李明", "王芳", "赵强"}
    response = client.post(url, {"school": world.school_a.pk, "teacher": world.teacher_b.pk,
                                 "students": [world.a3.pk]})
    assert response.status_code == 400


def test_bulk_page_cannot_assign_students_outside_rights(client, world):
    client.force_login(world.head_a)
    response = client.post(reverse("students:care_bulk"), {"school": world.school_a.pk, "only": "all",
                                                          "teacher": world.teacher_a.pk, "students": [world.a3.pk]})
    assert response.status_code == 400 and "所选学生不在列表中" in response.content.decode()
    assert not CareAssignment.objects.filter(student=world.a3).exists()


def test_school_pages_list_unassigned_and_priority(client, world):
    services.flag_set(actor=world.principal_a, student=world.a4, kind="orphan", start_date=date(2026, 9, 1),
                      source="civil_affairs")
    client.force_login(world.principal_a)
    body = client.get(reverse("students:school_unassigned", args=[world.school_a.pk])).content.decode()
    assert "李明" in body and "张保杰" not in body
    body = client.get(reverse("students:school_priority", args=[world.school_a.pk])).content.decode()
    assert "赵强" in body and "孤儿" in body and "李明" not in body


def test_school_chain_page_lets_office_name_liaison(client, world):
    client.force_login(world.principal_a)
    url = reverse("students:school_chain", args=[world.school_a.pk])
    assert "指定包校领导" not in client.get(url).content.decode()
    assert client.post(url, {"form": "liaison", "leader": world.office.pk}).status_code == 403
    client.force_login(world.office)
    assert client.post(url, {"form": "liaison", "leader": world.office.pk}).status_code == 302
    assert world.office.display_name in client.get(url).content.decode()


def test_workbench_panel_counts_per_school(client, world):
    services.flag_set(actor=world.principal_a, student=world.a4, kind="orphan", start_date=date(2026, 9, 1),
                      source="civil_affairs")
    client.force_login(world.principal_a)
    response = client.get(reverse("workbench"))
    panel = next(p for p in response.context["panels"] if p["title"] == "学籍与包保")
    (school, counts), = panel["rows"]
    assert school == world.school_a and (counts["flagged"], counts["no_carer"]) == (1, 3)
    assert "重点关注 1" in response.content.decode()
    client.force_login(world.sysadmin)
    assert not any(p["title"] == "学籍与包保" for p in client.get(reverse("workbench")).context["panels"])


def test_school_chain_page_lets_principal_name_head_teacher(client, world):
    url = reverse("students:school_chain", args=[world.school_a.pk])
    client.force_login(world.principal_a)
    response = client.post(url, {"form": "tier", "target": f"class:{world.class_a32.pk}", "user": world.teacher_a.pk})
    assert response.status_code == 302
    body = client.get(url).content.decode()
    assert f"2班：{world.teacher_a.display_name}" in body
    response = client.post(url, {"form": "tier", "target": f"class:{world.class_b31.pk}", "user": world.teacher_a.pk})
    assert response.status_code == 400 and "班级或年级：所选项不在可选范围内" in response.content.decode()
    client.force_login(world.office)
    assert client.post(url, {"form": "tier", "target": f"class:{world.class_a32.pk}",
                             "user": world.office.pk}).status_code == 403
