// Counts the heap allocations of the process (DNSBench only): the benchmark links this in,
// so that its own malloc and friends stand in for the C library's and every call, the Swift
// runtime's included, goes through a counter before reaching glibc's allocator.
#ifndef CMALLOCCOUNTER_H
#define CMALLOCCOUNTER_H
#include <stdint.h>

/// Allocations (malloc, calloc, realloc, posix_memalign, aligned_alloc, memalign) so far.
uint64_t svcproxy_allocation_count(void);

#endif
