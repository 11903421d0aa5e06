"""Privacy classification of the notice models (kongchuo.privacy)."""
from kongchuo import privacy

# a notice holds the child's and guardian's names and address; its service record the recipient and the 回证 scan
privacy.personal("notices.Notice", "notices.NoticeService")
# the 教育办's wording and the per-school numbering counter: configuration
privacy.no_child_data("notices.NoticeTemplate", "notices.NoticeCounter")
