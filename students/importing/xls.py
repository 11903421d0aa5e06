"""An .xls (OLE2/BIFF) is read by calamine in a child process under hard limits.

calamine's .xls reader reserves memory from the sheet's DIMENSIONS record (a 5 KB file claiming 4 billion rows
aborts the process) and follows the file's sector chains without a loop check (a chain pointing at itself grows
without end). Neither can be checked cheaply from outside without writing a BIFF parser, so the reader runs in a
child process with RLIMIT_AS (KONGCHUO_IMPORT_MEMORY_MB plus the interpreter), RLIMIT_CPU
(KONGCHUO_IMPORT_XLS_SECONDS) and a wall-clock watchdog, and sends the rows back in pickled batches; the child's
death is a Chinese refusal, never the worker's.
"""
import os
import pickle
import subprocess
import sys
import threading

from .limits import MB, FileFormatError, SpreadsheetRefused, columns_refused, limits, rows_refused

XLS_CHILD = r"""
import pickle, resource, sys
mem, cpu = int(sys.argv[2]), int(sys.argv[3])
resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
out = sys.stdout.buffer
try:
    from python_calamine import CalamineWorkbook
    wb = CalamineWorkbook.from_path(sys.argv[1])
    sheet = wb.get_sheet_by_index(0)
except MemoryError:
    sys.exit(3)
except Exception as exc:
    pickle.dump(("error", exc.__class__.__name__), out)
    sys.exit(0)
pickle.dump(("size", sheet.height, sheet.width), out)
batch = []
for row in sheet.iter_rows():
    batch.append(row)
    if len(batch) >= 500:
        pickle.dump(("rows", batch), out)
        batch = []
pickle.dump(("rows", batch), out)
pickle.dump(("done",), out)
out.flush()
"""
# an idle interpreter with python-calamine loaded maps ~100 MB of address space before it reads anything
XLS_CHILD_BASE_BYTES = 160 * MB


def xls_rows(path, lim=None):
    """Rows of an .xls's first sheet, read by calamine in a child process with a hard memory (RLIMIT_AS) and CPU
    limit; the child's death is a Chinese refusal, never the worker's."""
    lim = lim or limits()
    memory = lim.xls_memory_bytes + XLS_CHILD_BASE_BYTES
    proc = subprocess.Popen([sys.executable, "-I", "-c", XLS_CHILD, os.fspath(path), str(memory), str(lim.xls_seconds)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    finished = False
    watchdog = threading.Timer(lim.xls_seconds * 2, proc.kill)  # a child that neither spins nor grows, but hangs
    watchdog.daemon = True
    watchdog.start()
    try:
        while True:
            try:
                message = pickle.load(proc.stdout)
            except EOFError:
                break
            kind = message[0]
            if kind == "error":
                raise FileFormatError(f"无法读取该 Excel 文件（文件可能已损坏或加密）：{message[1]}")
            if kind == "size":
                if message[1] > lim.max_rows:
                    raise rows_refused(lim)
                if message[2] > lim.max_columns:
                    raise columns_refused(lim)
            elif kind == "rows":
                yield from message[1]
            elif kind == "done":
                finished = True
                break
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
        proc.stdout.close()
        proc.wait()
    if not finished:
        code = proc.returncode
        if code in (-9, -24):  # SIGKILL / SIGXCPU: the CPU limit
            raise SpreadsheetRefused(f"读取该 .xls 文件超过用时上限（{lim.xls_seconds} 秒）：请在 Excel 中另存为 .xlsx 后重新上传。")
        raise SpreadsheetRefused(f"读取该 .xls 文件超过内存上限（{lim.xls_memory_bytes // MB} MB）或文件已损坏："
                                 "请在 Excel 中另存为 .xlsx 后重新上传。")
