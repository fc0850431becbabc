"""Keep the memory a CPU forward pass frees in the process's heap (glibc only).

glibc hands every freed block above its mmap threshold back to the kernel, and trims the top of
the heap when it is free; a forward pass on the CPU allocates and frees the same activations for
every image, so each image faults them back in, page by page. With the threshold at glibc's
maximum (32 MiB on 64-bit) and trimming off, the activations stay in the heap: far fewer page
faults and less kernel time, the same labels; the price is that the heap keeps what the largest
image needed (docs/benchmarks.md, "Free Mask's CPU heap").
"""
from __future__ import annotations

import ctypes
import ctypes.util
import platform

# mallopt parameters, from glibc's malloc.h
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_MAX = 32 * 1024 * 1024  # glibc refuses more on 64-bit (HEAP_MAX_SIZE / 2)
TRIM_THRESHOLD = 1024 * 1024 * 1024


def retain_freed_memory() -> bool:
    """Raise glibc's mmap threshold to its maximum and stop heap trimming for this process.

    Returns whether glibc accepted both (False on other C libraries, where nothing changes).
    """
    if platform.libc_ver()[0] != 'glibc':
        return False
    libc = ctypes.CDLL(ctypes.util.find_library('c') or 'libc.so.6')
    mmap_set = libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_MAX) == 1
    trim_set = libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1
    return mmap_set and trim_set
