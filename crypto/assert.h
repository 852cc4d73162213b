// Always-on assertions for programmer errors (never for bad input: that is a Status).
// TigerBeetle: "the only correct way to handle corrupt code is to crash".
// Thread-safe: yes (writes one line to stderr, then aborts).
#pragma once

namespace phalanx {
[[noreturn]] void assert_fail(const char* expr, const char* file, int line, const char* msg);
}  // namespace phalanx

#define PHALANX_ASSERT(cond)                                               \
  do {                                                                     \
    if (!(cond)) ::phalanx::assert_fail(#cond, __FILE__, __LINE__, "");    \
  } while (0)

#define PHALANX_ASSERT_MSG(cond, msg)                                      \
  do {                                                                     \
    if (!(cond)) ::phalanx::assert_fail(#cond, __FILE__, __LINE__, (msg)); \
  } while (0)
