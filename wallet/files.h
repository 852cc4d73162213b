// The wallet's small-file I/O is the shared one in crypto/file_io.h.
// Thread-safety: functions touch only the files they are given.
#pragma once

#include "crypto/file_io.h"

namespace phalanx::wallet {
using phalanx::read_small_file;
using phalanx::write_file_atomically;
}  // namespace phalanx::wallet
