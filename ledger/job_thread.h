// A thread that runs one job at a time for the one thread that owns it: the state tree's
// second apply thread (ledger/mem_tree.cc) and its flusher (ledger/tree_flusher.h).
//
// A job's callable (and what it captured) is destroyed on the job thread, outside the lock,
// before wait() returns: a job may hold what is costly to free.
//
// Thread-safety: start/wait/busy and the destructor belong to the owner thread. The destructor
// lets a started job finish (its owner makes it stop early if it must), then joins.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>

#include "crypto/assert.h"

namespace phalanx::ledger {

class JobThread {
 public:
  // `first` runs first on the new thread (e.g. to lower its priority).
  explicit JobThread(std::function<void()> first = {})
      : thread_([this, first = std::move(first)] {
          if (first) first();
          run();
        }) {}
  ~JobThread() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    changed_.notify_all();
    thread_.join();
  }
  JobThread(const JobThread&) = delete;
  JobThread& operator=(const JobThread&) = delete;

  // Runs `job` on the thread. REQUIRES: !busy().
  void start(std::function<void()> job) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      PHALANX_ASSERT(!busy_);
      job_ = std::move(job);
      busy_ = true;
    }
    changed_.notify_all();
  }
  bool busy() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return busy_;
  }
  // Returns once the job started last has run and been destroyed.
  void wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return !busy_; });
  }

 private:
  void run() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (true) {
      changed_.wait(lock, [&] { return stopping_ || busy_; });
      if (!busy_) return;  // stopping
      std::function<void()> job = std::exchange(job_, nullptr);
      lock.unlock();
      job();
      job = nullptr;
      lock.lock();
      busy_ = false;
      changed_.notify_all();
    }
  }

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::function<void()> job_;  // guarded by mutex_
  bool busy_ = false;          // guarded by mutex_: a job started and not yet done
  bool stopping_ = false;      // guarded by mutex_
  std::thread thread_;         // last: starts once the rest is ready
};

}  // namespace phalanx::ledger
