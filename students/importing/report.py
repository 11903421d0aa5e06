"""What an import found: counts, per-cell errors with row numbers, warnings — the same for preview and commit."""
import time
from dataclasses import dataclass, field

from .widgets import cell_text

MAX_STORED_ISSUES = 10_000


@dataclass
class Report:
    total_rows: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    invalid: int = 0
    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    errors_dropped: int = 0
    warnings_dropped: int = 0
    unknown_columns: list = field(default_factory=list)
    header_row: int | None = None
    engine: str = ""
    committed: bool = False
    rows_written: int = 0
    details: dict = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)
    seconds: float = 0.0

    def error(self, row, column, value, message):
        if len(self.errors) >= MAX_STORED_ISSUES:
            self.errors_dropped += 1
            return
        self.errors.append({"row": row, "column": column, "value": cell_text(value)[:60], "message": message})

    def warning(self, row, column, message):
        if len(self.warnings) >= MAX_STORED_ISSUES:
            self.warnings_dropped += 1
            return
        self.warnings.append({"row": row, "column": column, "message": message})

    def bump(self, key, n=1):
        self.details[key] = self.details.get(key, 0) + n

    def finish(self):
        self.seconds = round(time.perf_counter() - self.started, 3)
        self.details["seconds"] = self.seconds
        if self.errors_dropped:
            self.details["errors_dropped"] = self.errors_dropped
        if self.warnings_dropped:
            self.details["warnings_dropped"] = self.warnings_dropped
        return self

    @property
    def valid(self):
        return self.new + self.updated + self.unchanged

    def counts_line(self):
        return (f"共 {self.total_rows} 行：新增 {self.new}，更新 {self.updated}，无变化 {self.unchanged}，"
                f"有错误 {self.invalid}")

    def apply_to(self, record):
        """Copy the outcome onto an ImportBatch / PopulationList (not saved)."""
        record.total_rows = self.total_rows
        record.new_count, record.updated_count = self.new, self.updated
        record.unchanged_count, record.invalid_count = self.unchanged, self.invalid
        record.errors, record.warnings = self.errors, self.warnings
        record.unknown_columns = self.unknown_columns
        record.header_row = self.header_row
        record.details = dict(self.details, engine=self.engine, rows_written=self.rows_written)
        return record
