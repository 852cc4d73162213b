// A note printed if the process aborts (PHALANX_ASSERT, std::terminate) while a seed
// runs: the core asserting is a finding too, and without the seed it could not be replayed. The
// handler writes the note with write(2) (async-signal-safe), then lets the signal take its default
// course. Thread-safety: set_abort_note() from one thread at a time; with several simulation
// threads the note names the last seed started.
#pragma once

#include <string>

namespace phalanx::sim {

// Installs the SIGABRT handler (idempotent). Other signals are left to the sanitizers,
// whose reports are more useful than ours.
void install_abort_handler();
// The text to print on such a death (truncated to 1 KiB).
void set_abort_note(const std::string& note);

}  // namespace phalanx::sim
