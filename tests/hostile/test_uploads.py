"""Every upload point × every hostile file, through the real views as the right persona: a Chinese refusal naming
the file, nothing stored (no row, no file in storage), never a 500. Good phone photos still work everywhere."""
import datetime
import html
import uuid

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from cases.models import Case, CaseClosure, Exemption, HomeVisit, SessionPhoto, TeachingPlan, TeachingSession, VisitPhoto
from cases.services import case_open, case_transition
from kongchuo import uploads
from notices.models import NoticeKind, NoticeService
from notices.services import notice_issue
from students.models import ImportBatch, PopulationList, StatusChange, StatusChangeDocument, TransferConfirmation
from tests import factories as f
from tests.hostile.files import HOSTILE, HOSTILE_NAMES, good_heic, good_jpeg, good_png, good_webp, tiny_pdf


@pytest.fixture(autouse=True)
def _private_root(settings, tmp_path):
    settings.KONGCHUO_PRIVATE_ROOT = str(tmp_path / "private")


def _today():
    return timezone.localdate()


def _stored_files(settings):
    """Every file name in the default storage and in the private import storage."""
    names = []

    def walk(path):
        dirs, files = default_storage.listdir(path)
        names.extend(f"{path}/{n}" for n in files)
        for d in dirs:
            walk(f"{path}/{d}" if path else d)

    try:
        walk("")
    except FileNotFoundError:
        pass
    from pathlib import Path

    private = Path(settings.KONGCHUO_PRIVATE_ROOT)
    names.extend(str(p) for p in private.rglob("*") if p.is_file()) if private.exists() else None
    return sorted(names)


# --------------------------------------------------------------------------------------------- upload points
class Point:
    """One upload place: `prepare(world)` → state; `post(client, world, state, upload)` → response;
    `rows(state)` → how many rows the upload would have written; purpose and label as the layer sees them."""

    def __init__(self, key, purpose, label, persona, prepare, post, rows, ok_status=302):
        self.key, self.purpose, self.label, self.persona = key, purpose, label, persona
        self.prepare, self.post, self.rows, self.ok_status = prepare, post, rows, ok_status


def _import_post(client, world, state, upload):
    return client.post(reverse("students:import"), {"file": upload})


def _population_post(client, world, state, upload):
    return client.post(reverse("students:population"), {"file": upload})


def _status_post(client, world, state, upload):
    data = {"kind": "suspend", "date": (_today() - datetime.timedelta(days=3)).isoformat(), "reason": "住院",
            "expected_return_date": (_today() + datetime.timedelta(days=60)).isoformat(), "documents": [upload]}
    return client.post(reverse("students:status_change", args=[world.a1.pk]), data)


def _transfer_prepare(world):
    from students import services

    change = services.status_change_record(actor=world.principal_a, student=world.a1, kind="transfer_out",
                                           date=_today() - datetime.timedelta(days=3), reason="随父母外出")
    return {"change": change}


def _transfer_post(client, world, state, upload):
    return client.post(reverse("students:transfer_confirm", args=[world.a1.pk, state["change"].pk]), {
        "receiving_school": world.school_c.pk, "receiving_school_name": "", "received_date": _today().isoformat(),
        "note": "", "documents": [upload]})


def _visit_prepare(world):
    return {"case": case_open(student=world.a1, trigger="absence", actor=world.head_a)}


def _visit_post(client, world, state, upload):
    data = {"idempotency_key": str(uuid.uuid4()), "visit_date": _today().isoformat(), "mode": "home",
            "people_met": "母亲", "findings": "学生在家", "guardian_attitude": "supportive", "photos": [upload]}
    return client.post(reverse("cases:visit_new", args=[state["case"].pk]), data)


def _session_prepare(world):
    plan = TeachingPlan.objects.create(
        student=world.a1, school=world.school_a, disability="肢体", goals="自理", schedule_days="1,3",
        start_date=_today() - datetime.timedelta(days=30), end_date=_today() + datetime.timedelta(days=30),
        created_by=world.principal_a)
    plan.teachers.set([world.teacher_a])
    return {"plan": plan}


def _session_post(client, world, state, upload):
    data = {"idempotency_key": str(uuid.uuid4()), "date": _today().isoformat(), "duration_minutes": 60,
            "teacher": world.teacher_a.pk, "content": "识字", "photos": [upload]}
    return client.post(reverse("cases:session_new", args=[state["plan"].pk]), data)


def _receipt_prepare(world):
    f.FamilyMemberFactory(student=world.a1, name="张父", relation="父亲")
    case = case_open(student=world.a1, trigger=Case.Trigger.TEACHER_REPORT, actor=world.principal_a, note="立案",
                     dropout_date=_today() - datetime.timedelta(days=60))
    case_transition(case=case, to_status=Case.Status.PERSUADING, actor=world.principal_a, reason="劝返")
    from cases.services import visit_log

    for days in (20, 10):
        visit_log(student=world.a1, case=case, actor=world.principal_a, visit_date=_today() - datetime.timedelta(days),
                  mode="home", people_met="父亲", findings="不愿返校", guardian_attitude="opposed")
    notice = notice_issue(case=case, actor=world.principal_a, kind=NoticeKind.RETURN,
                          guardian=world.a1.family_members.get())
    return {"notice": notice}


def _receipt_post(client, world, state, upload):
    data = {"served_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "method": "in_person",
            "recipient_name": "张父", "recipient_relation": "父亲", "place": "胡洼村", "deliverers": "周敏",
            "receipt_scan": upload, "expected_status": "issued"}
    return client.post(reverse("notices:serve", args=[state["notice"].pk]), data)


def _exemption_post(which):
    def post(client, world, state, upload):
        good = SimpleUploadedFile("申请.pdf", tiny_pdf())
        files = {"application_file": good, "assessment_file": SimpleUploadedFile("证明.pdf", tiny_pdf())}
        files[which] = upload
        data = {"kind": "deferral", "guardian_name": "张父", "reason": "住院治疗", "assessment_kind": "hospital",
                "start_date": _today().isoformat(), "end_date": (_today() + datetime.timedelta(days=200)).isoformat(),
                **files}
        return client.post(reverse("cases:exemption_new", args=[world.a1.pk]), data)

    return post


def _closure_prepare(world):
    case = case_open(student=world.a1, trigger=Case.Trigger.TEACHER_REPORT, actor=world.principal_a)
    Case.objects.filter(pk=case.pk).update(status=Case.Status.RETENTION,
                                           return_date=_today() - datetime.timedelta(days=120))
    return {"case": case}


def _closure_post(client, world, state, upload):
    data = {"attended_days": 0, "evidence_note": "复学后出勤正常", "evidence_file": upload}
    return client.post(reverse("cases:action", args=[state["case"].pk, "close"]), data)


def _work_plan_post(client, world, state, upload):
    url = reverse("admin:kongchuo_school_change", args=[world.school_a.pk])
    form = client.get(url).context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if name == "work_plan" or value is None:
            continue
        data[name] = [str(v) for v in value] if isinstance(value, (list, tuple)) else (
            "on" if value is True else "" if value is False else str(value))
    data["work_plan"] = upload
    return client.post(url, data)


POINTS = [
    Point("import", "spreadsheet", "Excel 文件", "principal_a", lambda w: {}, _import_post,
          lambda s: ImportBatch.objects.count(), ok_status=None),
    Point("population", "spreadsheet", "Excel 文件", "village", lambda w: {}, _population_post,
          lambda s: PopulationList.objects.count(), ok_status=None),
    Point("status_proof", "document", "证明材料", "principal_a", lambda w: {}, _status_post,
          lambda s: StatusChange.objects.count() + StatusChangeDocument.objects.count()),
    Point("transfer_receipt", "document", "接收证明（回执）", "principal_a", _transfer_prepare, _transfer_post,
          lambda s: TransferConfirmation.objects.count() + StatusChangeDocument.objects.count()),
    Point("visit_photos", "photo", "照片", "teacher_a", _visit_prepare, _visit_post,
          lambda s: HomeVisit.objects.count() + VisitPhoto.objects.count()),
    Point("session_photos", "photo", "照片", "teacher_a", _session_prepare, _session_post,
          lambda s: TeachingSession.objects.count() + SessionPhoto.objects.count()),
    Point("receipt", "receipt", "送达回证", "principal_a", _receipt_prepare, _receipt_post,
          lambda s: NoticeService.objects.count()),
    Point("exemption_application", "document", "监护人书面申请", "principal_a", lambda w: {},
          _exemption_post("application_file"), lambda s: Exemption.objects.count()),
    Point("exemption_assessment", "document", "医院诊断或残疾评定材料", "principal_a", lambda w: {},
          _exemption_post("assessment_file"), lambda s: Exemption.objects.count()),
    Point("closure_evidence", "document", "销号证明材料", "principal_a", _closure_prepare, _closure_post,
          lambda s: CaseClosure.objects.count()),
    Point("work_plan", "work_plan", "控辍保学工作方案", "sysadmin", lambda w: {}, _work_plan_post,
          lambda s: int(bool(type(s["school"]).objects.get(pk=s["school"].pk).work_plan))),
]
POINT_IDS = [p.key for p in POINTS]


@pytest.fixture
def no_closure_problems(monkeypatch):
    """销号 needs a finished term of retention; that rule is tested elsewhere — here only the file matters."""
    import cases.services
    import cases.services.retention

    monkeypatch.setattr(cases.services, "closure_problems", lambda case, today: [])
    monkeypatch.setattr(cases.services.retention, "closure_problems", lambda case, today: [])


def _ready(point, world, client, settings):
    state = point.prepare(world) or {}
    state["school"] = world.school_a
    client.force_login(getattr(world, point.persona))
    return state, point.rows(state), _stored_files(settings)


def _expected_message(point, name, data):
    try:
        uploads.verify(SimpleUploadedFile(name, data), purpose=point.purpose, label=point.label, reencode=False)
    except uploads.UploadRefused as exc:
        return exc.message
    raise AssertionError(f"{name} was accepted by the layer")


@pytest.mark.parametrize("hostile", sorted(HOSTILE))
@pytest.mark.parametrize("point", POINTS, ids=POINT_IDS)
def test_hostile_file_refused_everywhere_nothing_stored(client, world, settings, no_closure_problems, point, hostile):
    state, rows_before, files_before = _ready(point, world, client, settings)
    name, make = HOSTILE[hostile]
    data = make()
    response = point.post(client, world, state, SimpleUploadedFile(name, data, content_type="image/jpeg"))
    assert response.status_code in (200, 400), response.status_code  # the form again, never a 500 or a redirect
    page = html.unescape(response.content.decode())
    shown = uploads.display_name(name.replace("\x00", ""))
    assert f"“{shown}”" in page or f"“{uploads.display_name(name)}”" in page, f"no message naming the file for {hostile}"
    message = _expected_message(point, name, data)
    assert message.split("“")[0] in page
    assert any(word in page for word in ("不支持", "无法识别", "像素太多", "文件过大", "空文件", "不是有效的图片"))
    assert point.rows(state) == rows_before
    assert _stored_files(settings) == files_before


def _phone_files():
    return {"jpeg_exif_rotated.jpg": good_jpeg((2000, 1500), orientation=6), "screenshot.png": good_png(),
            "photo.webp": good_webp(), "IMG_0001.HEIC": good_heic()}


@pytest.mark.parametrize("filename", sorted(_phone_files()))
@pytest.mark.parametrize("point", [p for p in POINTS if p.purpose != "spreadsheet"], ids=lambda p: p.key)
def test_phone_photo_accepted_everywhere_stored_verified_under_random_name(client, world, settings,
                                                                          no_closure_problems, point, filename):
    state, rows_before, files_before = _ready(point, world, client, settings)
    response = point.post(client, world, state, SimpleUploadedFile(filename, _phone_files()[filename]))
    assert response.status_code == 302, html.unescape(response.content.decode())[-3000:]
    assert point.rows(state) > rows_before
    new = sorted(set(_stored_files(settings)) - set(files_before))
    assert new, "nothing stored"
    for path in new:
        base = path.rsplit("/", 1)[-1]
        assert filename.rsplit(".", 1)[0] not in base  # a random or app-made name, never the sender's
        with default_storage.open(path.lstrip("/")) as fh:
            if fh.read(5) == b"%PDF-":
                continue  # the other (good) file of the exemption form
            fh.seek(0)
            image = Image.open(fh)
            image.load()
        assert image.format in ("JPEG", "PNG")
        if filename.startswith("jpeg_exif_rotated"):
            assert image.height > image.width  # EXIF orientation applied: portrait like the phone showed it


@pytest.mark.parametrize("point", [p for p in POINTS if p.purpose != "spreadsheet"], ids=lambda p: p.key)
def test_polyglot_jpeg_comment_is_re_encoded_away(client, world, settings, no_closure_problems, point):
    """A real JPEG carrying a script in a comment segment is a picture: it is accepted but stored re-encoded."""
    jpeg = good_jpeg((300, 200))
    payload = b"<script>alert(document.cookie)</script>"
    polyglot = jpeg[:2] + b"\xff\xfe" + (len(payload) + 2).to_bytes(2, "big") + payload + jpeg[2:]
    state, rows_before, files_before = _ready(point, world, client, settings)
    assert point.post(client, world, state, SimpleUploadedFile("p.jpg", polyglot)).status_code == 302
    new = sorted(set(_stored_files(settings)) - set(files_before))
    assert new
    for path in new:
        with default_storage.open(path.lstrip("/")) as fh:
            assert b"<script>" not in fh.read()


@pytest.mark.parametrize("hostile_name", sorted(HOSTILE_NAMES))
def test_hostile_names_are_display_text_only(client, world, settings, hostile_name):
    client.force_login(world.principal_a)
    name = HOSTILE_NAMES[hostile_name]
    data = {"kind": "suspend", "date": (_today() - datetime.timedelta(days=3)).isoformat(), "reason": "住院",
            "expected_return_date": (_today() + datetime.timedelta(days=60)).isoformat(),
            "documents": [SimpleUploadedFile(name, good_jpeg((300, 200)))]}
    response = client.post(reverse("students:status_change", args=[world.a1.pk]), data)
    assert response.status_code == 302
    doc = StatusChangeDocument.objects.get()
    assert "/" not in doc.original_name and "\\" not in doc.original_name and ".." not in doc.original_name.strip(".")
    assert not any(ord(c) < 32 or c in "\u202e\u202d\u2066\u2067\u2068\u2069\x7f" for c in doc.original_name)
    assert len(doc.original_name) <= uploads.NAME_MAX
    stored = doc.file.name.rsplit("/", 1)[-1]
    assert stored.endswith(".jpg") and len(stored) == 36 and doc.file.name.startswith("status_documents/")
    download = client.get(reverse("students:document", args=[doc.pk]))
    disposition = download["Content-Disposition"]
    assert "\u202e" not in disposition and "/" not in disposition.split("filename")[1].replace("UTF-8''", "")


def test_photo_count_limit_names_the_field(client, world, settings):
    visit = next(p for p in POINTS if p.key == "visit_photos")
    state, rows_before, _ = _ready(visit, world, client, settings)
    photos = [SimpleUploadedFile(f"{i}.jpg", good_jpeg((100, 80))) for i in range(7)]
    data = {"idempotency_key": str(uuid.uuid4()), "visit_date": _today().isoformat(), "mode": "home",
            "people_met": "母亲", "findings": "学生在家", "guardian_attitude": "supportive", "photos": photos}
    response = client.post(reverse("cases:visit_new", args=[state["case"].pk]), data)
    assert response.status_code == 200 and "照片每次最多上传 6 张，本次选择了 7 张" in response.content.decode()
    assert visit.rows(state) == rows_before


def test_pixel_budget_is_a_setting(world, settings):
    settings.KONGCHUO = {**settings.KONGCHUO, "UPLOAD_IMAGE_MAX_PIXELS": 1_000_000}
    with pytest.raises(uploads.UploadRefused, match="1200×900.*超过 1 百万像素上限"):
        uploads.verify(SimpleUploadedFile("a.webp", good_webp((1200, 900))), purpose="photo", label="照片")
    settings.KONGCHUO = {**settings.KONGCHUO, "UPLOAD_IMAGE_MAX_PIXELS": 2_000_000}
    assert uploads.verify(SimpleUploadedFile("a.webp", good_webp((1200, 900))), purpose="photo", label="照片").width


def test_spreadsheet_layer_checks_extension_and_magic():
    ok = SimpleUploadedFile("学籍.xlsx", b"PK\x03\x04" + b"\x00" * 40)
    assert uploads.verify(ok, purpose="spreadsheet", label="Excel 文件").kind == "xlsx"
    ole = SimpleUploadedFile("学籍.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 40)
    assert uploads.verify(ole, purpose="spreadsheet", label="Excel 文件").kind == "xls"
    with pytest.raises(uploads.UploadRefused, match="不是 Excel 表格"):
        uploads.verify(SimpleUploadedFile("学籍.xlsx", tiny_pdf()), purpose="spreadsheet", label="Excel 文件")
    with pytest.raises(uploads.UploadRefused, match="只能上传 Excel 文件"):
        uploads.verify(SimpleUploadedFile("学籍.csv", b"PK\x03\x04"), purpose="spreadsheet", label="Excel 文件")


@pytest.mark.parametrize("raw,shown", [
    ("../../etc/passwd", "passwd"), ("C:\\Users\\a\\证明.pdf", "证明.pdf"), ("a\x00b\x1b.jpg", "ab.jpg"),
    ("x\u202egpj.exe", "xgpj.exe"), ("\u2067名\u2069.png", "名.png"), ("", "未命名文件"), ("..", "未命名文件"),
    ("  空 格  .jpg", "空 格 .jpg"),
])
def test_display_name_neutralises(raw, shown):
    assert uploads.display_name(raw) == shown


def test_display_name_caps_length_keeping_extension():
    name = uploads.display_name("长" * 300 + ".pdf")
    assert len(name) == uploads.NAME_MAX and name.endswith("….pdf")
