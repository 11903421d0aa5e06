from .cases import (  # noqa: F401
    case_action, case_detail, case_list, case_open, closure_file, closure_review, followup_done, student_hub,
    student_search,
)
from .support import (  # noqa: F401
    assistance_list, assistance_new, exemption_detail, exemption_file, exemption_list, exemption_new, inbox,
    inbox_open, inbox_read_all, plan_detail, plan_list, plan_new, session_new, session_photo,
)
from .visits import student_visit_new, visit_detail, visit_list, visit_new, visit_photo  # noqa: F401
