"""The heap helpers work where glibc is the C library and do nothing elsewhere."""

from __future__ import annotations

import platform

from signify.memory import limit_malloc_arenas, trim_heap


def test_trim_heap_trims_where_the_c_library_is_glibc() -> None:
    assert trim_heap() is (platform.libc_ver()[0] == "glibc")


def test_limiting_arenas_is_harmless_to_call_again() -> None:
    limit_malloc_arenas()
    limit_malloc_arenas()
