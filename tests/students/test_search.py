"""One search box: name, full pinyin, initials, last 4 of the ID, ID prefix, 学籍号 — scoped, constant queries."""
from datetime import date

import pytest
from django.db.models import Q
from django.urls import reverse

from students import selectors
from students.models import Student
from tests import factories as f


def found(user, q, **filters):
    return set(selectors.student_list(user, selectors.StudentFilters(q=q, **filters)).values_list("name", flat=True))


@pytest.fixture
def tricky(world):
    f.StudentFactory(name="曾小红", school_class=world.class_a32, village=world.v1b)
    f.StudentFactory(name="单田芳", school_class=world.class_a41, village=world.v1b, former_name="单小芳")
    return world


@pytest.mark.parametrize("q,expected", [
    ("张保杰", {"张保杰"}),
    ("张", {"张保杰"}),
    ("zhangbaojie", {"张保杰"}),
    ("ZhangBao", {"张保杰"}),
    ("zbj", {"张保杰"}),
    ("zeng", {"曾小红"}),
    ("zxh", {"曾小红"}),
    ("shantianfang", {"单田芳"}),
    ("单小", {"单田芳"}),  # 曾用名
    ("  zhang bao jie ", {"张保杰"}),
])
def test_search_by_name_pinyin_initials_and_former_name(tricky, q, expected):
    assert found(tricky.principal_a, q) == expected


def test_search_by_last4_id_number_and_student_number(world):
    assert "张保杰" in found(world.principal_a, world.a1.id_number[-4:])
    assert found(world.principal_a, world.a1.id_number) == {"张保杰"}
    assert found(world.principal_a, world.a1.id_number.lower()) == {"张保杰"}
    assert found(world.principal_a, world.a1.student_number) == {"张保杰"}
    assert found(world.principal_a, "g" + world.a1.id_number[:10]) >= {"张保杰"}


def test_search_is_scoped(world):
    assert found(world.principal_b, "zbj") == set()
    assert found(world.principal_b, world.a1.id_number) == set()
    assert found(world.office, "zbj") == {"张保杰"}
    assert found(world.office, world.d1.id_number) == set()


def test_search_with_unusable_query_finds_nothing_and_hints(world):
    assert found(world.principal_a, "1") == set()
    assert "请输入姓名" in selectors.search_hint("1")
    assert selectors.search_hint("zbj") == ""


def test_filters_by_class_status_flag_and_missing_carer(world):
    from students import services

    services.flag_set(actor=world.principal_a, student=world.a3, kind="orphan", start_date=date(2026, 9, 1),
                      source="school")
    assert found(world.principal_a, "", school_class=world.class_a31.pk) == {"张保杰", "李明"}
    assert found(world.principal_a, "", flag="orphan") == {"王芳"}
    assert found(world.principal_a, "", care="none") == {"李明", "王芳", "赵强"}
    assert found(world.principal_a, "", grade=4) == {"赵强"}
    world.a4.status = Student.Status.DROPPED_OUT
    world.a4.save()
    assert found(world.principal_a, "", status="dropped_out") == {"赵强"}
    assert found(world.principal_a, "", school=world.school_b.pk) == set()  # other school: nothing, no error


def test_search_query_uses_only_indexed_prefix_lookups():
    sql = str(Student.objects.filter(selectors.search_q("zbj")).query)
    assert "LIKE" in sql and "%zbj%" not in sql
    assert str(selectors.search_q("0019")) == str(Q(id_last4="0019"))


def test_list_page_search_and_filters(client, world):
    client.force_login(world.principal_a)
    response = client.get(reverse("students:list"), {"q": "zbj"})
    body = response.content.decode()
    assert response.status_code == 200 and "张保杰" in body and "李明" not in body
    assert world.a1.id_number not in body  # masked in the list
    response = client.get(reverse("students:list"), {"q": "zbj", "school": "abc", "page": "x", "status": "bogus"})
    assert response.status_code == 200 and "张保杰" in response.content.decode()


def test_list_page_query_count_constant(client, world, django_assert_max_num_queries):
    client.force_login(world.principal_a)
    client.get(reverse("students:list"))
    for i in range(60):
        f.StudentFactory(school_class=world.class_a32, village=world.v1b)
    with django_assert_max_num_queries(14) as few:
        assert client.get(reverse("students:list")).status_code == 200
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("students:list"), {"page": 2})
    assert response.context["page"].number == 2 and len(response.context["page"].object_list) == 25


def test_list_page_counts_are_capped(world):
    qs = Student.objects.all().order_by("pk")
    page = selectors.capped_page(qs, 1, per_page=2, cap=3)
    assert (page.count, page.capped, page.has_next, len(page)) == (3, True, True, 2)
    page = selectors.capped_page(qs, 4, per_page=2, cap=10)
    assert (page.count, page.has_next, len(page)) == (7, False, 1)
