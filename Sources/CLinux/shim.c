// Everything lives in the header as static inline functions; SwiftPM needs one source file.
#include "CLinux.h"
