"""The one task the backend knows: run job N. Everything else lives on our Job row."""
try:  # Django 6+: the tasks API is built in
    from django.tasks import task
except ImportError:  # Django 5.2: the django-tasks backport
    from django_tasks import task


@task()
def run_job(job_id):
    from .runner import execute

    return execute(job_id)
