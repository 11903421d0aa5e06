"""Home visits: counted per case, one visit per idempotency key, photos resized, 大家访 without a case."""
import datetime
import io
import uuid

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from cases.models import Case, CaseEvent, HomeVisit, VisitPhoto
from cases.services import CaseError, case_open, visit_log
from students.risk import assess
from tests.cases.conftest import FIXED_NOW

S = Case.Status


def _image(fmt="PNG", size=(3000, 2000), name=None):
    out = io.BytesIO()
    Image.new("RGB", size, (120, 30, 200)).save(out, format=fmt)
    return SimpleUploadedFile(name or f"photo.{fmt.lower()}", out.getvalue(), content_type=f"image/{fmt.lower()}")


def _visit(world, case=None, student=None, key=None, actor=None, **kw):
    data = dict(visit_date=FIXED_NOW.date(), mode=HomeVisit.Mode.HOME, people_met="母亲",
                findings="学生在家玩手机，母亲管不住。", guardian_attitude=HomeVisit.Attitude.HESITANT)
    data.update(kw)
    return visit_log(student=student or world.a1, case=case, actor=actor or world.teacher_a,
                     idempotency_key=key, now=FIXED_NOW, **data)


@pytest.fixture
def case_a1(world):
    return case_open(student=world.a1, trigger=Case.Trigger.ABSENCE, actor=world.head_a, now=FIXED_NOW)


def test_visit_on_case_is_counted_and_starts_persuasion(world, case_a1):
    visit, created = _visit(world, case=case_a1)
    second, _ = _visit(world, case=case_a1, findings="第二次，父亲同意周一送学")
    case_a1.refresh_from_db()
    assert created and case_a1.status == S.PERSUADING
    assert case_a1.visits.alive().count() == 2
    reasons = list(case_a1.events.filter(kind=CaseEvent.Kind.VISIT).values_list("reason", flat=True))
    assert reasons[0].startswith("第 1 次家访") and reasons[1].startswith("第 2 次家访")
    assert set(visit.visitors.all()) == {world.teacher_a}


def test_visit_same_idempotency_key_creates_one_visit(world, case_a1):
    key = uuid.uuid4()
    first, created_first = _visit(world, case=case_a1, key=key)
    again, created_again = _visit(world, case=case_a1, key=key)
    assert created_first and not created_again and first.pk == again.pk
    assert HomeVisit.objects.count() == 1
    assert case_a1.events.filter(kind=CaseEvent.Kind.VISIT).count() == 1


def test_visit_photos_are_resized_and_stored_as_jpeg(world, case_a1):
    visit, _ = _visit(world, case=case_a1, photos=[_image("PNG", (3000, 2000)), _image("JPEG", (800, 600))])
    photos = list(visit.photos.all())
    assert len(photos) == 2
    assert (photos[0].width, photos[0].height) == (1600, 1067)
    assert (photos[1].width, photos[1].height) == (800, 600)
    stored = Image.open(photos[0].image.open("rb"))
    assert stored.format == "JPEG" and max(stored.size) == 1600


@pytest.mark.parametrize("upload,message", [
    (SimpleUploadedFile("notes.txt", b"hello", content_type="text/plain"), "不是有效的图片"),
    (SimpleUploadedFile("fake.jpg", b"\xff\xd8\xff garbage", content_type="image/jpeg"), "不是有效的图片"),
])
def test_visit_bad_photo_saves_nothing(world, case_a1, upload, message):
    with pytest.raises(CaseError, match=message):
        _visit(world, case=case_a1, photos=[upload])
    assert not HomeVisit.objects.exists() and not VisitPhoto.objects.exists()
    case_a1.refresh_from_db()
    assert case_a1.status == S.WARNING


def test_visit_photo_size_and_count_are_limited(world, case_a1, settings):
    settings.KONGCHUO = {**settings.KONGCHUO, "PHOTO_MAX_BYTES": 1000, "PHOTO_MAX_COUNT": 2}
    with pytest.raises(CaseError, match="超过"):
        _visit(world, case=case_a1, photos=[_image()])
    with pytest.raises(CaseError, match="最多上传 2 张"):
        _visit(world, case=case_a1, photos=[_image(), _image(), _image()])
    assert not HomeVisit.objects.exists()


@pytest.mark.parametrize("field,value,message", [
    ("visit_date", FIXED_NOW.date() + datetime.timedelta(days=1), "不能晚于今天"),
    ("findings", " ", "了解到的情况"),
    ("people_met", "", "见到的人"),
    ("guardian_attitude", "angry", "监护人态度"),
    ("next_step_date", FIXED_NOW.date() - datetime.timedelta(days=3), "下一步日期"),
])
def test_visit_bad_input_names_the_field(world, case_a1, field, value, message):
    with pytest.raises(CaseError, match=message) as info:
        _visit(world, case=case_a1, **{field: value})
    assert info.value.field == field
    assert not HomeVisit.objects.exists()


def test_visit_without_case_is_a_big_visit(world):
    visit, created = _visit(world, student=world.a2, actor=world.head_a)
    assert created and visit.case is None
    assert not Case.objects.exists()


def test_visit_outside_scope_is_refused(world):
    with pytest.raises(PermissionDenied):
        _visit(world, student=world.b1, actor=world.teacher_a)


def test_visit_on_closed_case_is_refused(world, case_a1):
    Case.objects.filter(pk=case_a1.pk).update(status=S.CLOSED_TRANSFER)
    case_a1.refresh_from_db()
    with pytest.raises(CaseError, match="已结案"):
        _visit(world, case=case_a1)


def test_visit_findings_feed_the_risk_level(world):
    before = assess(world.a2)
    _visit(world, student=world.a2, actor=world.head_a, guardian_attitude=HomeVisit.Attitude.OPPOSED,
           risk_level=HomeVisit.Risk.HIGH)
    after = assess(world.a2)
    texts = " ".join(text for _, text in after.reasons)
    assert "监护人抵触" in texts and "辍学风险高" in texts
    assert after.score >= before.score + 6


def test_visit_scope_follows_case_or_student(world, case_a1):
    on_case, _ = _visit(world, case=case_a1)
    big, _ = _visit(world, student=world.a2, actor=world.head_a)
    visible = set(HomeVisit.objects.visible_to(world.teacher_a).values_list("pk", flat=True))
    assert visible == {on_case.pk}
    assert set(HomeVisit.objects.visible_to(world.head_a).values_list("pk", flat=True)) == {on_case.pk, big.pk}
    assert not HomeVisit.objects.visible_to(world.principal_b).exists()
    # 办事处 sees visits of its residents' escalated cases only
    assert not HomeVisit.objects.visible_to(world.subdistrict).filter(pk=on_case.pk).exists()
    Case.objects.filter(pk=case_a1.pk).update(stage=Case.Stage.SUBDISTRICT)
    assert HomeVisit.objects.visible_to(world.subdistrict).filter(pk=on_case.pk).exists()
