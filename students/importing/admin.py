"""Import records (学籍导入记录, 适龄儿童名单 and their rows) keep children's names, ID numbers and row errors: they are
personal data (students/privacy.py) and are shown only on the scoped import pages, not in the admin."""
