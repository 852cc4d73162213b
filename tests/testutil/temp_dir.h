// phalanx::testutil::make_temp_dir: a fresh private directory (mode 0700, mkdtemp) under
// GoogleTest's temp dir, for tests that need files. Header-only; every test binary links gtest.
// Thread-safety: make_temp_dir is safe to call from any thread (mkdtemp picks unique names).
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

namespace phalanx::testutil {

// "<temp>/<prefix>-??????"; aborts the test binary when the directory cannot be made (nothing
// a test could do without it).
inline std::string make_temp_dir(std::string_view prefix) {
  std::string path = (std::filesystem::path(::testing::TempDir()) / std::string(prefix)).string();
  path += '-';
  path.append(6, 'X');  // the template suffix mkdtemp replaces
  if (::mkdtemp(path.data()) == nullptr) {
    std::perror("mkdtemp");
    std::abort();
  }
  return path;
}

}  // namespace phalanx::testutil
