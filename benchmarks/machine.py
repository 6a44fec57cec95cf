"""The machine line every benchmark prints first: processor, cores, memory, system, Python, syndup."""

from __future__ import annotations

import os
import platform


def machine_line() -> str:
    """`machine: ...` and `python ...; syndup ... (kernel)`, for a benchmark's header."""
    import syndup
    from syndup.kernel import describe

    cpu = "?"
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"machine: {platform.machine()} {cpu}, {os.cpu_count()} cores, {mem:.0f} GiB; "
            f"{platform.system()} {platform.release()}\n"
            f"python {platform.python_version()}; syndup {syndup.__version__} ({describe()})")
