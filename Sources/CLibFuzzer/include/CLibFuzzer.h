// libFuzzer's driver entry (compiler-rt's FuzzerInterface.h), declared for Swift: the fuzz
// target's own `main` hands control to it, since SwiftPM names every executable's entry.
#ifndef CLIBFUZZER_H
#define CLIBFUZZER_H
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
