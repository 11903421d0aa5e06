from django.conf import settings
from django.db import models


class AccessLog(models.Model):
    """Who saw or took personal data (§8): unmasking, exports, prints, logins. Append-only."""

    class Action(models.TextChoices):
        LOGIN = "login", "登录"
        LOGOUT = "logout", "退出"
        LOGIN_FAILED = "login_failed", "登录失败"
        VIEW_ID = "view_id", "查看完整身份证号"
        VIEW_PHONE = "view_phone", "查看完整电话"
        EXPORT = "export", "导出"
        PRINT = "print", "打印"
        IMPORT = "import", "导入"

    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                             related_name="+", verbose_name="用户")
    username = models.CharField("用户名", max_length=150, blank=True)
    action = models.CharField("操作", max_length=20, choices=Action.choices, db_index=True)
    object_type = models.CharField("对象类型", max_length=50, blank=True)
    object_id = models.CharField("对象", max_length=64, blank=True)
    scope = models.CharField("范围", max_length=200, blank=True)
    purpose = models.CharField("用途", max_length=200, blank=True)
    ip = models.GenericIPAddressField("客户端地址", null=True, blank=True)
    detail = models.TextField("说明", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "个人信息访问日志"
        ordering = ["-at"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.get_action_display()}"

    def save(self, *args, **kwargs):
        if self.pk:
            raise PermissionError("访问日志不可修改")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("访问日志不可删除")
