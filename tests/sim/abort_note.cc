// The death note (see abort_note.h).
#include "tests/sim/abort_note.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>

namespace phalanx::sim {
namespace {

constexpr size_t kNoteBytesMax = 1024;
char g_note[kNoteBytesMax + 1];
std::atomic<size_t> g_note_length{0};

void on_fatal_signal(int signal_number) {
  const size_t length = g_note_length.load();
  if (length > 0) {
    const char prefix[] = "\n*** phalanx-sim: died while running; replay with:\n    ";
    (void)!write(STDERR_FILENO, prefix, sizeof(prefix) - 1);
    (void)!write(STDERR_FILENO, g_note, length);
    (void)!write(STDERR_FILENO, "\n", 1);
  }
  ::signal(signal_number, SIG_DFL);
  ::raise(signal_number);
}

}  // namespace

void install_abort_handler() { ::signal(SIGABRT, on_fatal_signal); }

void set_abort_note(const std::string& note) {
  const size_t length = std::min(note.size(), kNoteBytesMax);
  g_note_length.store(0);
  std::memcpy(g_note, note.data(), length);
  g_note_length.store(length);
}

}  // namespace phalanx::sim
