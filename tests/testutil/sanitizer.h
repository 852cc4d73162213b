// phalanx::testutil: whether this build runs under AddressSanitizer, for tests that scale
// their work down there (the simulator's seed count, the node load test's transfers).
#pragma once

#include "crypto/sanitizer.h"

namespace phalanx::testutil {

using phalanx::kAddressSanitizer;

}  // namespace phalanx::testutil
