import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from kongchuo.models import RoleAssignment, School, User
from students.models import Student

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("username,label", [
    ("teacher_a", "科任教师"), ("head_a", "班主任"), ("gradelead_a", "校领导"), ("principal_a", "校长/学校管理员"),
    ("office", "教育办工作人员"), ("leader", "领导小组成员"), ("subdistrict", "办事处工作人员"),
    ("village", "村/社区干部"), ("sysadmin", "系统管理员"),
])
def test_workbench_shows_own_role(client, world, username, label):
    client.force_login(getattr(world, username))
    body = client.get(reverse("workbench")).content.decode()
    assert "我的工作台" in body and label in body


def test_workbench_counts_only_own_students(client, world):
    client.force_login(world.head_a)
    response = client.get(reverse("workbench"))
    panel = next(p for p in response.context["panels"] if p["title"] == "我负责的学生")
    assert panel["total"] == 2


def test_workbench_for_user_without_role(client, world):
    client.force_login(world.nobody)
    assert "尚未分配角色" in client.get(reverse("workbench")).content.decode()


def test_school_detail_scope_matrix(world, scope_matrix):
    scope_matrix(
        world,
        url_for=lambda school: reverse("org:school_detail", args=[school.pk]),
        objects={"A": world.school_a, "B": world.school_b, "C": world.school_c, "D": world.school_d},
        expected={
            "teacher_a": {"A"}, "head_a": {"A"}, "gradelead_a": {"A"}, "principal_a": {"A"},
            "principal_b": {"B"}, "teacher_b": {"B"}, "office": {"A", "B", "C"}, "leader": {"A", "B", "C"},
            "subdistrict": {"A", "B"}, "village": set(), "sysadmin": {"A", "B", "C"},
        },
    )


def test_school_list_lists_only_scope(client, world):
    client.force_login(world.principal_b)
    body = client.get(reverse("org:schools")).content.decode()
    assert "胡洼小学" in body and "土城中心小学" not in body


def test_404_page_is_chinese(client, world):
    client.force_login(world.principal_a)
    response = client.get(reverse("org:school_detail", args=[world.school_b.pk]))
    assert response.status_code == 404
    assert "不在您的工作范围内" in response.content.decode()


def test_seed_demo_is_idempotent(db):
    call_command("seed_demo", students=40, stdout=open("/dev/null", "w"))
    counts = (School.objects.count(), Student.objects.count(), User.objects.count(), RoleAssignment.objects.count())
    call_command("seed_demo", students=40, stdout=open("/dev/null", "w"))
    assert counts == (School.objects.count(), Student.objects.count(), User.objects.count(),
                      RoleAssignment.objects.count())
    assert counts[0] >= 4 and counts[1] > 0
    for username in ("demo_admin", "demo_leader", "demo_office", "demo_subdistrict", "demo_village", "demo_principal",
                     "demo_gradelead", "demo_headteacher", "demo_teacher", "demo_principal2", "demo_teacher2"):
        assert User.objects.get(username=username).role_assignments.exists(), username
    from students.idnumbers import parse

    for number in Student.objects.values_list("id_number", flat=True)[:50]:
        parse(number)


def test_migrations_are_complete():
    result = subprocess.run([sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_is_clean_with_production_settings():
    env = {"DEBUG": "0", "SECRET_KEY": "k" * 20 + "-Xy9_Qw3!zLm8#Rt5$Vb2^Nc7&Hf4*Jd6(Gs1)", "ALLOWED_HOSTS": "kc.example.gov.cn",
           "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=ROOT,
                            capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_work_plan_download_is_scoped(client, world):
    from django.core.files.base import ContentFile

    world.school_a.work_plan.save("plan.pdf", ContentFile(b"%PDF-1.4 plan"), save=True)
    client.force_login(world.head_a)
    response = client.get(reverse("org:school_work_plan", args=[world.school_a.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"%PDF-1.4 plan"
    client.force_login(world.principal_b)
    assert client.get(reverse("org:school_work_plan", args=[world.school_a.pk])).status_code == 404
    assert client.get(reverse("org:school_work_plan", args=[world.school_b.pk])).status_code == 404


def test_media_is_not_served_directly(client, world):
    client.force_login(world.office)
    assert client.get("/media/work_plans/plan.pdf").status_code == 404
