// Small-file I/O shared by the keystore, the wallet and the node's home directory: bounded
// reads, durable atomic replacement, and fresh private directories.
// Thread-safety: functions touch only the files they are given.
#pragma once

#include <cstddef>
#include <string>

#include "crypto/status.h"

namespace phalanx {

// The whole file, refused when it is larger than max_bytes. `what` names the file in errors
// ("seed file").
Result<std::string> read_small_file(const std::string& path, size_t max_bytes,
                                    const std::string& what);

// strerror(errno): what the last failed system call said.
std::string errno_text();

// Writes all of `content` to fd, then fsyncs it.
Status write_all_and_sync(int fd, const std::string& content);

// fsyncs a directory so a rename inside it is durable.
Status sync_directory(const std::string& dir);

// Replaces `path` with `content` atomically: writes a temporary file in the same directory
// (mode 0600), fsyncs it, renames it over `path`, and fsyncs the directory.
Status write_file_atomically(const std::string& path, const std::string& content);

// Creates "<system temp dir>/<prefix>-<6 random characters>" with mode 0700 (mkdtemp; honours
// TMPDIR) and returns its path. For tests and benchmarks.
Result<std::string> make_temp_dir(const std::string& prefix);

}  // namespace phalanx
