// Small-file I/O for the wallet: bounded reads and atomic replacement.
// Thread-safety: functions touch only the files they are given.
#pragma once

#include <cstddef>
#include <string>

#include "crypto/status.h"

namespace phalanx::wallet {

// The whole file, refused when it is larger than max_bytes. `what` names the file in errors
// ("seed file").
Result<std::string> read_small_file(const std::string& path, size_t max_bytes,
                                    const std::string& what);

// Replaces `path` with `content` atomically: writes a temporary file in the same directory
// (mode 0600), fsyncs it, renames it over `path`, and fsyncs the directory.
Status write_file_atomically(const std::string& path, const std::string& content);

}  // namespace phalanx::wallet
