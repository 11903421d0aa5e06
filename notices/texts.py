"""Template text: the default wording of both notice kinds and the {占位符} filling.

The 教育办 edits the wording (NoticeTemplate versions); facts come from the case, frozen in
`Notice.content` at issue. Filling escapes every value and the template text itself, so a name like
`<b>` prints as those four characters and can never add markup.
"""
import re

from django.core.exceptions import ValidationError
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe

from notices.models import NoticeKind

# placeholder → key in Notice.content (facts frozen at issue) and what it means (shown to the editor).
PLACEHOLDERS = {
    "监护人": ("guardian_name", "监护人姓名"),
    "学生": ("student_name", "学生姓名"),
    "子女": ("child_word", "“儿子”或“女儿”（按学生性别）"),
    "学校": ("school_name", "学校全称"),
    "班级": ("class_name", "年级班级，例如“三年级1班”"),
    "辍学日期": ("dropout_date_text", "辍学（未到校）日期，例如“2026年9月1日”"),
    "家访日期": ("visit_dates_text", "家访日期列表，例如“2026年9月5日、9月12日”"),
    "家访次数": ("visit_count", "家访次数"),
    "期限天数": ("deadline_days", "限期天数（设置 NOTICE_DEADLINE_DAYS，默认 7）"),
    "管理区": ("area_name", "管理区名称"),
    "联系人": ("contact_name", "学校联系人"),
    "联系电话": ("contact_phone", "学校联系电话"),
}
PLACEHOLDER_RE = re.compile(r"\{([^{}\s]{1,10})\}")

LEGAL_BASIS = "《中华人民共和国义务教育法》第五条、第十一条、第五十八条；《中华人民共和国未成年人保护法》"

DEFAULT_RECEIPT_NOTE = (
    "受送达人拒绝签收的，送达人可邀请村（居）民委员会工作人员到场作见证，在本回证上注明拒收事由和日期，"
    "由送达人、见证人签名，把通知书留在受送达人住所，即视为送达。本回证由送达人带回学校存档。"
)

DEFAULTS = {
    NoticeKind.RETURN: {
        "title": "劝返复学通知书",
        "body": "\n".join([
            "你（你们）的{子女}{学生}，系我校{班级}学生，自{辍学日期}起未到校上学。学校于{家访日期}先后"
            "{家访次数}次家访、谈心劝返，讲明依法接受义务教育的道理和国家资助政策，但{学生}至今仍未返校复学。",
            "《中华人民共和国义务教育法》第五条、第十一条规定，适龄儿童、少年的父母或者其他法定监护人应当依法"
            "保证其按时入学接受并完成义务教育；《中华人民共和国未成年人保护法》规定，父母或者其他监护人应当尊重"
            "未成年人受教育的权利，保障适龄未成年人依法接受并完成义务教育。不送适龄子女完成九年义务教育是违法的。",
            "依据《中华人民共和国义务教育法》第五十八条的规定，现责令你（你们）限期改正：自收到本通知书之日起"
            "{期限天数}日内，送{学生}到{学校}复学。学校将做好复学接收和帮扶工作，不让一名学生因贫困、学习困难"
            "等原因失学。",
            "逾期仍不送{学生}返校复学的，学校将上报{管理区}，由{管理区}依法采取相应制约措施，由此产生的法律责任"
            "由你（你们）承担。",
            "特此通知。",
            "联系人：{联系人}　联系电话：{联系电话}",
        ]),
    },
    NoticeKind.TERM_START: {
        "title": "辍学学生劝返通知书",
        "body": "\n".join([
            "你（你们）的{子女}{学生}，系我校{班级}学生。本学期已于{辍学日期}开学，{学生}至今未到校报到，"
            "也未办理转学、休学等手续。",
            "《中华人民共和国义务教育法》第五条、第十一条规定，适龄儿童、少年的父母或者其他法定监护人应当依法"
            "保证其按时入学接受并完成义务教育；《中华人民共和国未成年人保护法》规定，父母或者其他监护人应当保障"
            "适龄未成年人依法接受并完成义务教育。",
            "依据《中华人民共和国义务教育法》第五十八条的规定，请你（你们）自收到本通知书之日起{期限天数}日内，"
            "送{学生}到{学校}报到复学。家庭确有困难的，请及时与学校联系，学校将按规定落实资助和帮扶措施。",
            "劝返无效的，学校将书面报告{管理区}教育办公室和办事处，由{管理区}依法催促你（你们）送{学生}返校"
            "就读，并采取相应制约措施。",
            "特此通知。",
            "联系人：{联系人}　联系电话：{联系电话}",
        ]),
    },
}


def validate_template_text(text, *, field="body"):
    """Unknown or malformed placeholders are an error naming them and listing the allowed ones."""
    unknown = sorted({name for name in PLACEHOLDER_RE.findall(text) if name not in PLACEHOLDERS})
    stray = PLACEHOLDER_RE.sub("", text)
    if unknown:
        allowed = "、".join("{%s}" % name for name in PLACEHOLDERS)
        raise ValidationError({field: f"正文中有未知的占位符：{'、'.join('{%s}' % n for n in unknown)}。可用的占位符：{allowed}。"})
    if "{" in stray or "}" in stray:
        raise ValidationError({field: "正文中的花括号不成对：占位符的写法是 {学生}，花括号内不能有空格。"})


def fill(text, content, *, mark=True):
    """Template text → safe HTML with escaped facts. Each line becomes one paragraph."""
    paragraphs = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        parts, pos = [], 0
        for match in PLACEHOLDER_RE.finditer(line):
            parts.append(conditional_escape(line[pos:match.start()]))
            key = PLACEHOLDERS.get(match.group(1), (None,))[0]
            value = content.get(key, "") if key else match.group(0)
            value = "" if value is None else str(value)
            parts.append(format_html('<span class="fill">{}</span>', value) if mark else conditional_escape(value))
            pos = match.end()
        parts.append(conditional_escape(line[pos:]))
        paragraphs.append(mark_safe("".join(str(p) for p in parts)))
    return paragraphs


def placeholder_help():
    return [("{%s}" % name, label) for name, (_, label) in PLACEHOLDERS.items()]
