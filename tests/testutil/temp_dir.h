// phalanx::testutil::make_temp_dir: a fresh private directory for a test (crypto/file_io.h's
// make_temp_dir), aborting the test binary when it cannot be made — nothing a test could do
// without it. Thread-safety: as make_temp_dir (any thread).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

#include "crypto/file_io.h"

namespace phalanx::testutil {

inline std::string make_temp_dir(const std::string& prefix) {
  auto path = ::phalanx::make_temp_dir(prefix);
  if (!path) {
    std::fprintf(stderr, "%s\n", path.message().c_str());
    std::abort();
  }
  return *path;
}

}  // namespace phalanx::testutil
