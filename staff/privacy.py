"""Privacy classification of the staff models (kongchuo.privacy): staff accounts and their imports, no child data."""
from kongchuo import privacy

privacy.no_child_data("staff.StaffProfile", "staff.StaffImport", "staff.OrgImport", "staff.SmsCode")
