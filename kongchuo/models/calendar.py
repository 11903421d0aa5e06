from django.db import models
from simple_history.models import HistoricalRecords


class CalendarException(models.Model):
    """A statutory holiday on a weekday, or a make-up workday (调休) on a weekend."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", "法定节假日（不上课）"
        WORKDAY = "workday", "调休上课日"

    date = models.DateField("日期", unique=True)
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    name = models.CharField("名称", max_length=50, help_text="例如 国庆节、国庆调休")
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "校历例外日"
        ordering = ["date"]

    def __str__(self):
        return f"{self.date} {self.name}（{self.get_kind_display()}）"
