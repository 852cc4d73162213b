// The physical bound: this machine's Ed25519 verification rate with libsodium on every
// core. Each node verifies each transaction once, so n nodes on this machine can commit at
// most rate / n transactions per second (signing happens before the measured window).
// Measured on an idle machine: wait_for_idle() samples /proc/stat until the other
// processes leave the cores alone, or gives up after a timeout (the caller warns).
// Thread-safety: call from one thread; measure_verify_rate starts its own workers.
#pragma once

#include <cstdint>

namespace phalanx::bench {

struct IdleCheck {
  bool idle = false;
  double busy_fraction = 1.0;  // of all cores, over the last one-second sample
  double waited_s = 0;
};

// Samples one second at a time until less than busy_max of the machine's CPU time is busy,
// for at most timeout_s seconds.
IdleCheck wait_for_idle(double busy_max, double timeout_s);

// Signature verifications per second over `seconds`, one thread per core.
double measure_verify_rate(double seconds);

}  // namespace phalanx::bench
