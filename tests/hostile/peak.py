"""Peak memory and time of each hostile spreadsheet through the real preview path, each in its own process.

    python -m tests.hostile.peak --school CODE FILE...   (DATABASE_URL names a database holding that school)
    python -m tests.hostile.peak --reader-only FILE...   (no database: only the reading the preview does)

Django is set up once; for every file a forked child runs `import_students FILE --school CODE` (the preview:
NationalImport.run, the same code the upload page runs after storing the file) — or, with --reader-only, the
preview's reader (SheetReader.open and every row) — and reports its own peak resident memory (VmHWM) and time as
one JSON line. A child killed by the kernel or aborted by a reader shows as such.
"""
import json
import os
import sys
import time


def _hwm_mb():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _rss_mb():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _read(path):
    from django.core.management.base import CommandError
    from students.importing.columns import NATIONAL_MAP
    from students.importing.reader import FileFormatError, SheetReader

    try:
        reader = SheetReader(path, NATIONAL_MAP, required=("姓名",)).open()
        for _ in reader.rows():
            pass
        reader.close()
    except FileFormatError as exc:
        raise CommandError(str(exc), returncode=2) from None


def main(argv):
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kongchuo.settings")
    django.setup()
    from django.core.management import call_command
    from django.core.management.base import CommandError
    from django.db import connections

    reader_only = "--reader-only" in argv
    school = None if reader_only else argv[argv.index("--school") + 1]
    paths = [a for a in argv if a not in ("--school", "--reader-only", school)]
    call_command("check", stdout=open(os.devnull, "w"), databases=[])  # import everything a worker has imported
    import python_calamine  # noqa: F401
    import openpyxl  # noqa: F401
    from students.importing import national  # noqa: F401

    connections.close_all()
    base = _rss_mb()
    for path in paths:
        read_fd, write_fd = os.pipe()
        started = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            os.close(read_fd)
            result = {"rc": 0, "message": ""}
            try:
                if reader_only:
                    _read(path)
                else:
                    call_command("import_students", path, "--school", school, stdout=open(os.devnull, "w"))
            except CommandError as exc:
                result = {"rc": exc.returncode, "message": str(exc)[:120]}
            except BaseException as exc:  # noqa: BLE001 - report it, the parent decides
                result = {"rc": "exception", "message": f"{exc.__class__.__name__}: {exc}"[:200]}
            result["peak_mb"] = round(_hwm_mb(), 1)
            os.write(write_fd, json.dumps(result, ensure_ascii=False).encode())
            os._exit(0)
        os.close(write_fd)
        _, status = os.waitpid(pid, 0)
        data = b""
        while chunk := os.read(read_fd, 65536):
            data += chunk
        os.close(read_fd)
        result = json.loads(data) if data else {"rc": f"died (wait status {status})", "peak_mb": None, "message": ""}
        result.update(file=os.path.basename(path), seconds=round(time.perf_counter() - started, 2),
                      base_mb=round(base, 1))
        print(json.dumps(result, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
