// phalanx::testutil::make_temp_dir: a fresh private directory for a test (crypto/file_io.h's
// make_temp_dir), aborting the test binary when it cannot be made — nothing a test could do
// without it; TempDir: one that is removed with everything in it when the object goes.
// Thread-safety: as make_temp_dir (any thread); a TempDir is not shared between threads.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>
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

class TempDir {
 public:
  explicit TempDir(const std::string& prefix) : path_(make_temp_dir(prefix)) {}
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace phalanx::testutil
