// phalanx::testutil::kill_child_mid_work: the fork/SIGKILL half of the crash tests. Forks a
// child that runs `work(report_fd)` -- durable steps, each reported by writing its running
// count (u64) to report_fd, never returning -- waits until it reported at least `more` steps
// past *reported, SIGKILLs it at a random moment of the next ones, and leaves in *reported
// the last count the child saw durable before it died. The caller then reopens the store and
// checks it holds at least that.
// Thread-safety: call from the test's main thread (fork).
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <functional>

#include "tests/testutil/rng.h"

namespace phalanx::testutil {

inline void kill_child_mid_work(Rng& rng, uint64_t more, uint64_t* reported,
                                const std::function<void(int report_fd)>& work) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(fds[0]);
    work(fds[1]);
    _exit(0);
  }
  close(fds[1]);
  const uint64_t target = *reported + more;
  while (*reported < target) {
    ASSERT_EQ(read(fds[0], reported, sizeof *reported), static_cast<ssize_t>(sizeof *reported))
        << "child exited early";
  }
  // Deliberately random: land the kill anywhere inside the next steps.
  usleep(static_cast<useconds_t>(rng.below(4000)));
  ASSERT_EQ(kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "child status " << status;
  uint64_t count = 0;
  while (read(fds[0], &count, sizeof count) == static_cast<ssize_t>(sizeof count)) {
    *reported = count;  // steps the child saw durable before it died
  }
  close(fds[0]);
}

}  // namespace phalanx::testutil
