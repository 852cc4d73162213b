// Include from exactly one translation unit of each executable that runs libzmq (phalanxd,
// the process tests). libzmq is not built with TSan: its lock-free pipes synchronise
// through atomics TSan cannot see, so every hand-off through libzmq would be reported. Our
// own code stays checked. Expands to nothing outside a TSan build.
#pragma once

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PHALANX_ZMQ_TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__) || defined(PHALANX_ZMQ_TSAN)
extern "C" const char* __tsan_default_suppressions() { return "race:libzmq.so\n"; }
#endif
