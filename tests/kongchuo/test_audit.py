import pytest
from django.urls import reverse

from kongchuo.audit import log_access, mask_id, mask_phone
from kongchuo.models import AccessLog, School


def test_mask_id_and_phone():
    assert mask_id("11010519491231002X") == "110105********002X"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_id("") == "" and mask_phone(None) == ""


def test_access_log_is_append_only(world):
    row = log_access(user=world.office, action=AccessLog.Action.EXPORT, scope="全区", purpose="月报")
    row.purpose = "changed"
    with pytest.raises(PermissionError):
        row.save()
    with pytest.raises(PermissionError):
        row.delete()
    assert AccessLog.objects.get(pk=row.pk).purpose == "月报"


def test_access_log_admin_cannot_edit_or_delete(client, world):
    row = log_access(user=world.office, action=AccessLog.Action.PRINT, object_id="1")
    client.force_login(world.sysadmin)
    assert client.get(reverse("admin:kongchuo_accesslog_changelist")).status_code == 200
    assert client.get(reverse("admin:kongchuo_accesslog_add")).status_code == 403
    assert client.post(reverse("admin:kongchuo_accesslog_delete", args=[row.pk]), {"post": "yes"}).status_code == 403
    assert AccessLog.objects.filter(pk=row.pk).exists()


def test_field_history_records_acting_user(client, world):
    client.force_login(world.sysadmin)
    school = world.school_a
    url = reverse("admin:kongchuo_school_change", args=[school.pk])
    response = client.post(url, {
        "area": school.area_id, "subdistrict": school.subdistrict_id, "code": school.code, "name": "土城中心小学（新）",
        "short_name": school.short_name, "kind": school.kind, "address": "", "phone": "", "is_active": "on",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    record = School.history.filter(id=school.pk).first()
    assert record.name == "土城中心小学（新）" and record.history_user == world.sysadmin
    delta = record.diff_against(record.prev_record)
    assert [c.field for c in delta.changes] == ["name"]


def test_audit_list_only_for_permitted_roles(client, world):
    log_access(user=world.office, action=AccessLog.Action.EXPORT, scope="全区")
    client.force_login(world.teacher_a)
    assert client.get(reverse("audit:list")).status_code == 403
    client.force_login(world.office)
    response = client.get(reverse("audit:list"), {"action": "export"})
    assert response.status_code == 200 and "全区" in response.content.decode()


def test_admin_site_only_for_sysadmin(client, world):
    world.principal_a.is_staff = True
    world.principal_a.save()
    client.force_login(world.principal_a)
    assert client.get(reverse("admin:index")).status_code == 302
    client.force_login(world.sysadmin)
    assert client.get(reverse("admin:index")).status_code == 200
