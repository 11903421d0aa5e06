"""Job kinds registered by the apps (AppConfig.ready)."""
from dataclasses import dataclass, field
from typing import Callable


@dataclass(frozen=True)
class JobKind:
    kind: str
    label: str
    action: str  # the kongchuo.access action the requester must hold (recorded as the job's scope)
    run: Callable  # run(job, progress) -> Outcome
    next_url: Callable | None = None  # fn(job) -> url of the next step once done (e.g. the import preview)
    auto_next: bool = False  # a done job's page goes straight on to next_url
    retryable: bool = True


@dataclass
class Outcome:
    """What a kind's run() returns. `file_content` (bytes) becomes the job's private result file."""

    message: str = ""
    level: str = "success"  # how the message is shown on the next page: success / info / warning / error
    result: dict = field(default_factory=dict)
    file_name: str = ""
    file_content: bytes | None = None
    input_taken: bool = False  # the kind handed the staged input file on (e.g. to an import record): keep it


KINDS: dict[str, JobKind] = {}


def register_kind(kind, *, label, action, run, next_url=None, auto_next=False, retryable=True):
    KINDS[kind] = JobKind(kind=kind, label=label, action=action, run=run, next_url=next_url, auto_next=auto_next,
                          retryable=retryable)
    return KINDS[kind]


def get_kind(kind):
    return KINDS.get(kind)
